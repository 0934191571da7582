/** The call: everyone's tiles (a shared screen large, the others beside it), the controls,
 * and the participants or chat panel. */

import { useCallback, useEffect, useState } from 'react';
import toast from 'react-hot-toast';
import { useTranslation } from 'react-i18next';
import { useCall } from '../hooks/use-call';
import type { Call } from '../lib/call';
import { CallControls, type Panel } from './call-controls';
import { ChatPanel } from './chat-panel';
import { DevicesPanel } from './devices-panel';
import { ParticipantsPanel } from './participants-panel';
import { VideoTile } from './video-tile';
import styles from './call.module.css';

export function CallView({ call, speaker }: { call: Call; speaker: string }) {
  const { t } = useTranslation();
  const snapshot = useCall(call);
  const { me, participants, chat, myId, phase, notice, earlier } = snapshot;
  const [panel, setPanel] = useState<Panel>(null);
  const [read, setRead] = useState(0);
  const [sinkId, setSinkId] = useState(speaker);
  const unread = panel === 'chat' ? 0 : Math.max(0, chat.length - Math.max(read, earlier));

  useEffect(() => {
    if (panel === 'chat') setRead(chat.length);
  }, [panel, chat.length]);

  // A message while the chat is closed shows for a moment (not those said before we came).
  const last = chat.length > earlier ? chat[chat.length - 1] : undefined;
  useEffect(() => {
    if (last && panel !== 'chat' && last.from !== myId) toast(`${last.name}: ${last.text.slice(0, 140)}`, { id: 'chat' });
  }, [last, panel, myId]);

  const fail = (key: string) => (error: Error) => toast.error(t(key, { name: error.name }));
  const onMicrophone = useCallback(() => call.toggleMicrophone(), [call]);
  const onCamera = useCallback(() => void call.toggleCamera().catch(fail('call.noCamera')), [call]);
  const onScreen = () => void call.toggleScreen().catch((error: Error) => error.name !== 'NotAllowedError' && fail('call.noScreen')(error));

  const sharer = me.sharing ? null : participants.find((person) => person.state.sharing);
  const tiles = participants.map((person) => (
    <VideoTile
      key={person.id}
      peerId={person.id}
      name={person.name}
      stream={person.stream}
      state={person.state}
      quality={person.quality}
      sinkId={sinkId}
      large={sharer?.id === person.id}
    />
  ));
  const mine = <VideoTile key="me" peerId={myId ?? 'me'} name={t('call.me')} stream={snapshot.preview} state={me} local large={me.sharing} />;
  const stageful = me.sharing || Boolean(sharer);

  const status =
    phase === 'reconnecting' ? t('call.status.reconnecting') : phase === 'joining' ? t('call.status.joining') : t('call.status.inCall', { count: participants.length + 1 });

  return (
    <div className={styles.call}>
      <div className={styles.topBar}>
        <span role="status" className={styles.status} data-phase={phase}>
          {status}
        </span>
        {notice && (
          <span role="alert" className={styles.notice}>
            {t(notice.key, notice.values)}
          </span>
        )}
      </div>
      <div className={styles.body}>
        <div className={stageful ? styles.stage : styles.grid} data-count={participants.length + 1}>
          {stageful ? (
            <>
              {me.sharing ? mine : tiles.find((tile) => tile.key === sharer?.id)}
              <div className={styles.strip}>
                {me.sharing ? tiles : [mine, ...tiles.filter((tile) => tile.key !== sharer?.id)]}
              </div>
            </>
          ) : (
            [mine, ...tiles]
          )}
        </div>
        {panel && (
          <aside className={styles.side}>
            {panel === 'people' && <ParticipantsPanel people={[{ id: myId ?? 'me', name: t('call.me'), state: me }, ...participants]} />}
            {panel === 'chat' && <ChatPanel messages={chat} myId={myId} onSend={(text) => call.say(text)} />}
            {panel === 'devices' && (
              <DevicesPanel
                speaker={sinkId}
                onSpeaker={setSinkId}
                onDevice={(kind, deviceId) => void call.useDevice(kind, deviceId).catch(fail('call.noDevice'))}
              />
            )}
          </aside>
        )}
      </div>
      <CallControls
        me={me}
        panel={panel}
        unread={unread}
        canShare={Boolean(navigator.mediaDevices?.getDisplayMedia)}
        onMicrophone={onMicrophone}
        onCamera={onCamera}
        onScreen={onScreen}
        onHand={() => call.toggleHand()}
        onPanel={setPanel}
        onLeave={() => call.leave()}
      />
    </div>
  );
}
