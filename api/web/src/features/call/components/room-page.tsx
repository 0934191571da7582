/**
 * `/rooms/:roomId`: a meeting's call. The token comes from the link (a guest's or an access
 * token) or is minted from the signed-in session; then the pre-join check, then the call.
 */

import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router-dom';
import { LanguageSwitch } from '../../../components/language-switch';
import { Spinner } from '../../../components/ui/spinner';
import { Call, iceServersFor, type IceAnswer } from '../lib/call';
import { linkToken, passFromSession } from '../lib/room-token';
import { CallView } from './call-view';
import { PreJoin, type JoinChoice } from './pre-join';
import styles from './call.module.css';

type Entry = { token: string; fromSession: boolean } | 'none' | null;

export function RoomPage() {
  const { t } = useTranslation();
  const { roomId = '' } = useParams();
  const [entry, setEntry] = useState<Entry>(null);
  const [call, setCall] = useState<Call | null>(null);
  const [speaker, setSpeaker] = useState('');
  const [refused, setRefused] = useState<string | null>(null);
  // Asked for while the person checks their devices, so that joining does not wait for it.
  const [iceServers, setIceServers] = useState<Promise<IceAnswer> | null>(null);
  useEffect(() => {
    if (!entry || entry === 'none') return;
    const asked = iceServersFor(roomId, entry.token);
    asked.catch(() => {});
    setIceServers(asked);
  }, [entry, roomId]);

  useEffect(() => {
    const fromLink = linkToken(roomId);
    if (fromLink) return setEntry({ token: fromLink, fromSession: false });
    passFromSession(roomId)
      .then((pass) => setEntry(pass ? { token: pass, fromSession: true } : 'none'))
      .catch(() => setEntry('none'));
  }, [roomId]);

  // Closing the tab leaves the room at once (the others need not wait for the drop's grace).
  useEffect(() => {
    if (!call) return;
    const leave = () => call.leave();
    window.addEventListener('pagehide', leave);
    return () => window.removeEventListener('pagehide', leave);
  }, [call]);

  const join = (choice: JoinChoice) => {
    if (!entry || entry === 'none') return;
    const renew = entry.fromSession ? () => passFromSession(roomId) : null;
    const next = new Call(roomId, entry.token, choice.stream, { muted: choice.muted, camera: choice.camera }, renew);
    // The call as the browser tests drive it, and as one may look at it from the console.
    (window as unknown as { veche?: { call: Call } }).veche = { call: next };
    setSpeaker(choice.speaker);
    next
      .start(iceServers ?? undefined)
      .then(() => setCall(next))
      .catch((error: { status?: number }) => setRefused(error.status === 404 ? 'call.ended.noRoom' : 'call.ended.cannotEnter'));
  };

  const ended = call ? null : refused;
  return (
    <div className={styles.page}>
      <header className={styles.header}>
        <Link to="/" className={styles.brand} onClick={() => call?.leave()}>
          {t('app.name')}
        </Link>
        <LanguageSwitch />
      </header>
      <main id="main" className={styles.main}>
        {entry === null && <Spinner label={t('common.loading')} />}
        {entry === 'none' && <Ended reason="call.ended.signIn" />}
        {ended && <Ended reason={ended} />}
        {entry && entry !== 'none' && !call && !ended && <PreJoin onJoin={join} />}
        {call && <CallOrEnded call={call} speaker={speaker} />}
      </main>
    </div>
  );
}

function CallOrEnded({ call, speaker }: { call: Call; speaker: string }) {
  const [ended, setEnded] = useState<string | null>(call.getSnapshot().ended);
  useEffect(() => call.subscribe(() => setEnded(call.getSnapshot().ended)), [call]);
  return ended ? <Ended reason={ended} /> : <CallView call={call} speaker={speaker} />;
}

function Ended({ reason }: { reason: string }) {
  const { t } = useTranslation();
  return (
    <section className={styles.ended} role="alert" aria-live="assertive">
      <h1>{t(reason)}</h1>
      <p className={styles.endedActions}>
        {reason === 'call.ended.left' && (
          <button type="button" className="btn btn-primary" onClick={() => window.location.reload()}>
            {t('call.rejoin')}
          </button>
        )}
        <Link to="/" className="btn">
          {t('call.backToCalendar')}
        </Link>
      </p>
    </section>
  );
}
