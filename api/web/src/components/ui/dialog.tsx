/**
 * A modal dialog: focus moves in when it opens (to the `data-autofocus` element or the
 * first control), stays in while it is open, Escape closes it, and focus goes back to
 * where it was when it closes.
 */

import { useEffect, useId, useRef, type ReactNode } from 'react';
import { createPortal } from 'react-dom';
import { useTranslation } from 'react-i18next';
import { focusableIn, trapTab } from './focus';
import { Close } from './icons';
import styles from './dialog.module.css';

interface DialogProps {
  title: string;
  onClose: () => void;
  children: ReactNode;
  /** Buttons at the bottom. */
  footer?: ReactNode;
  size?: 'small' | 'large';
  /** While true, Escape and the backdrop do not close (a save in flight). */
  busy?: boolean;
}

export function Dialog({ title, onClose, children, footer, size = 'small', busy = false }: DialogProps) {
  const { t } = useTranslation();
  const titleId = useId();
  const ref = useRef<HTMLDivElement>(null);
  const closeRef = useRef(onClose);
  closeRef.current = onClose;

  useEffect(() => {
    const returnTo = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    const root = ref.current;
    if (root) {
      const wanted = root.querySelector<HTMLElement>('[data-autofocus]') ?? focusableIn(root).find((element) => !element.closest('[data-dialog-header]')) ?? root;
      wanted.focus();
    }
    const { overflow } = document.body.style;
    document.body.style.overflow = 'hidden';
    return () => {
      document.body.style.overflow = overflow;
      if (returnTo?.isConnected) returnTo.focus();
    };
  }, []);

  const onKeyDown = (event: React.KeyboardEvent) => {
    if (event.key === 'Escape') {
      event.stopPropagation();
      if (!busy) closeRef.current();
      return;
    }
    if (ref.current) trapTab(event, ref.current);
  };

  return createPortal(
    <div
      className={styles.backdrop}
      onMouseDown={(event) => {
        if (event.target === event.currentTarget && !busy) onClose();
      }}
    >
      <div
        ref={ref}
        role="dialog"
        aria-modal="true"
        aria-labelledby={titleId}
        tabIndex={-1}
        className={`${styles.dialog} ${size === 'large' ? styles.large : ''}`}
        onKeyDown={onKeyDown}
      >
        <div className={styles.header} data-dialog-header>
          <h2 id={titleId} className={styles.title}>
            {title}
          </h2>
          <button type="button" className="btn btn-icon" onClick={onClose} disabled={busy} aria-label={t('common.close')}>
            <Close />
          </button>
        </div>
        <div className={styles.body}>{children}</div>
        {footer && <div className={styles.footer}>{footer}</div>}
      </div>
    </div>,
    document.body,
  );
}
