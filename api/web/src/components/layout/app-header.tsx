import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import styles from './app-header.module.css';

/** The bar at the top: the app's name, then whatever the page puts on the right. */
export function AppHeader({ children }: { children?: ReactNode }) {
  const { t } = useTranslation();
  return (
    <header className={styles.header}>
      <a className="skip-link" href="#main">
        {t('common.skipToContent')}
      </a>
      <a className={styles.brand} href="/">
        <Logo />
        <span className="collapse-on-phone">{t('app.name')}</span>
      </a>
      <nav className={styles.actions} aria-label={t('header.navigation')}>
        {children}
      </nav>
    </header>
  );
}

function Logo() {
  return (
    <svg width="26" height="26" viewBox="0 0 32 32" aria-hidden="true" focusable="false">
      <rect width="32" height="32" rx="8" fill="var(--accent)" />
      <path d="M8 11h16M8 16h10M8 21h13" stroke="#fff" strokeWidth="2.5" strokeLinecap="round" />
    </svg>
  );
}
