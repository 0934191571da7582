/**
 * Every page's frame: the sign-in page while nobody is signed in (whatever the address),
 * else the header and the page, with the live stream open.
 */

import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { Outlet, useNavigate } from 'react-router-dom';
import { LanguageSwitch } from '../../components/language-switch';
import { AppHeader } from '../../components/layout/app-header';
import { ErrorState } from '../../components/ui/states';
import { Spinner } from '../../components/ui/spinner';
import { SignInPage } from '../../features/auth/components/sign-in-page';
import { SignOutButton } from '../../features/auth/components/sign-out-button';
import { PushToggle } from '../../features/push/components/push-toggle';
import { useSession, useSignedOutListener } from '../../lib/auth';
import { useLiveUpdates } from '../../lib/live-updates';
import { problemMessage } from '../../lib/problem-message';
import { onOpenRequest } from '../../lib/service-worker';
import styles from './app-root.module.css';

export function AppRoot() {
  const { t } = useTranslation();
  const session = useSession();
  const navigate = useNavigate();
  useSignedOutListener();
  useLiveUpdates(Boolean(session.data));
  useEffect(() => onOpenRequest((path) => navigate(path)), [navigate]);

  if (session.isPending) {
    return (
      <div className={styles.loading}>
        <Spinner label={t('common.loading')} />
      </div>
    );
  }
  if (session.isError) {
    return (
      <main id="main" className={styles.loading}>
        <ErrorState message={problemMessage(session.error, t)} onRetry={() => void session.refetch()} />
      </main>
    );
  }
  if (!session.data) return <SignInPage />;

  return (
    <div className={styles.shell}>
      <AppHeader>
        <span className={styles.person} title={session.data.email}>
          {session.data.name || session.data.email}
        </span>
        <PushToggle />
        <LanguageSwitch />
        <SignOutButton />
      </AppHeader>
      <main id="main" className={styles.main}>
        <Outlet />
      </main>
    </div>
  );
}
