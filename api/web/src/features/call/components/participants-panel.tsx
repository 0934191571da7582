/** Who is in the call, and who is muted, has the camera off, shares a screen, raised a hand. */

import { useTranslation } from 'react-i18next';
import { CameraOff, Hand, MicrophoneOff, Screen } from '../../../components/ui/icons';
import type { MediaState } from '../lib/protocol';
import styles from './call.module.css';

interface Person {
  id: string;
  name: string;
  state: MediaState;
}

export function ParticipantsPanel({ people }: { people: Person[] }) {
  const { t } = useTranslation();
  return (
    <section className={styles.panel} aria-labelledby="people-title">
      <h2 id="people-title">{t('call.people', { count: people.length })}</h2>
      <ul className={styles.people}>
        {people.map((person) => (
          <li key={person.id}>
            <span className={styles.personName}>{person.name}</span>
            <span className={styles.personState}>
              {person.state.hand && <Hand role="img" aria-hidden={false} aria-label={t('call.state.hand')} className={styles.hand} />}
              {person.state.sharing && <Screen role="img" aria-hidden={false} aria-label={t('call.state.sharing')} />}
              {!person.state.camera && <CameraOff role="img" aria-hidden={false} aria-label={t('call.state.cameraOff')} />}
              {person.state.muted && <MicrophoneOff role="img" aria-hidden={false} aria-label={t('call.state.muted')} />}
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}
