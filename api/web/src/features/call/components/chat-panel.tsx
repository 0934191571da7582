/** The call's chat: messages as text (never HTML), newest at the bottom; Enter sends,
 * Shift+Enter starts a new line. */

import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Send } from '../../../components/ui/icons';
import { CHAT_MAX_CHARS, type ChatMessage } from '../lib/protocol';
import styles from './call.module.css';

export function ChatPanel({ messages, myId, onSend }: { messages: ChatMessage[]; myId: string | null; onSend(text: string): void }) {
  const { t, i18n } = useTranslation();
  const [draft, setDraft] = useState('');
  const end = useRef<HTMLLIElement>(null);
  // Braces: scrollIntoView returns a promise in newer browsers, which is no effect cleanup.
  useEffect(() => {
    void end.current?.scrollIntoView?.({ block: 'end' });
  }, [messages.length]);
  const time = new Intl.DateTimeFormat(i18n.language, { hour: '2-digit', minute: '2-digit' });

  const send = () => {
    const text = draft.trim();
    if (!text) return;
    onSend(text);
    setDraft('');
  };

  return (
    <section className={styles.panel} aria-labelledby="chat-title">
      <h2 id="chat-title">{t('call.chat.title')}</h2>
      <p className={styles.panelNote}>{t('call.chat.note')}</p>
      <ol className={styles.messages} aria-live="polite">
        {messages.map((message, i) => (
          <li key={`${message.at}-${i}`} className={message.from === myId ? styles.mine : undefined}>
            <p className={styles.messageHead}>
              <strong>{message.from === myId ? t('call.chat.you') : message.name}</strong>{' '}
              <time dateTime={message.at}>{time.format(new Date(message.at))}</time>
            </p>
            <p className={styles.messageText}>{message.text}</p>
          </li>
        ))}
        <li ref={end} aria-hidden="true" />
      </ol>
      <form
        className={styles.chatForm}
        onSubmit={(event) => {
          event.preventDefault();
          send();
        }}
      >
        <label className="visually-hidden" htmlFor="chat-draft">
          {t('call.chat.label')}
        </label>
        <textarea
          id="chat-draft"
          value={draft}
          maxLength={CHAT_MAX_CHARS}
          rows={2}
          placeholder={t('call.chat.placeholder')}
          onChange={(event) => setDraft(event.target.value)}
          onKeyDown={(event) => {
            if (event.key === 'Enter' && !event.shiftKey) {
              event.preventDefault();
              send();
            }
          }}
        />
        <button type="submit" className={styles.send} disabled={!draft.trim()} title={t('call.chat.send')}>
          <Send />
          <span className="visually-hidden">{t('call.chat.send')}</span>
        </button>
      </form>
    </section>
  );
}
