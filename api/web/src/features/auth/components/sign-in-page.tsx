/**
 * The page a signed-out person sees, wherever they were going: an email field for a
 * single-use sign-in link, and the identity provider when the server offers one. After
 * sending, it says to check the mail and lets them send again after a while.
 */

import { useId, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { LanguageSwitch } from '../../../components/language-switch';
import { Mail } from '../../../components/ui/icons';
import { Skeleton } from '../../../components/ui/states';
import { oidcStartUrl } from '../../../lib/api/auth-types';
import { ApiProblem } from '../../../lib/api-client';
import { formatWait } from '../../../lib/format';
import { problemMessage } from '../../../lib/problem-message';
import { useCountdown } from '../../../lib/use-countdown';
import { useAuthOptions } from '../api/get-auth-options';
import { useSendSignInLink } from '../api/send-sign-in-link';
import styles from './sign-in-page.module.css';

/** How long before the link may be sent again, when the server set no wait itself. */
export const RESEND_AFTER_SECONDS = 30;

const LOOKS_LIKE_EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Where to come back to after signing in: the page the person was on. */
function currentPath(): string {
  const { pathname, search, hash } = window.location;
  return `${pathname}${search}${hash}` || '/';
}

export function SignInPage() {
  const { t } = useTranslation();
  return (
    <div className={styles.page}>
      <header className={styles.header}>
        <span className={styles.brand}>{t('app.name')}</span>
        <LanguageSwitch />
      </header>
      <main id="main" className={styles.main}>
        <div className={styles.card}>
          <SignInOptions />
        </div>
        <p className={styles.tagline}>{t('auth.tagline')}</p>
      </main>
    </div>
  );
}

function SignInOptions() {
  const { t } = useTranslation();
  const options = useAuthOptions();
  if (options.isPending) return <Skeleton label={t('common.loading')} lines={3} />;
  // When the options cannot be read, offer the email link: every server has it or says why not.
  const offers = options.data ?? { email: true, oidc: null };
  return (
    <>
      <h1 className={styles.title}>{t('auth.title')}</h1>
      {offers.oidc && (
        <a className={`btn btn-primary ${styles.wide}`} href={oidcStartUrl(currentPath())}>
          {t('auth.withProvider', { provider: offers.oidc.name })}
        </a>
      )}
      {offers.oidc && offers.email && (
        <p className={styles.or}>
          <span>{t('auth.or')}</span>
        </p>
      )}
      {offers.email && <EmailSignIn primary={!offers.oidc} />}
      {!offers.email && !offers.oidc && <p className="alert">{t('auth.noWays')}</p>}
    </>
  );
}

function EmailSignIn({ primary }: { primary: boolean }) {
  const { t } = useTranslation();
  const inputId = useId();
  const errorId = useId();
  const [email, setEmail] = useState('');
  const [fieldError, setFieldError] = useState<string | null>(null);
  const [sentTo, setSentTo] = useState<string | null>(null);
  const [resendAt, setResendAt] = useState<number | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const send = useSendSignInLink();
  const waitLeft = useCountdown(resendAt);

  const submit = (address: string) => {
    setFailure(null);
    setFieldError(null);
    if (!LOOKS_LIKE_EMAIL.test(address)) {
      setFieldError(t('auth.invalidEmail'));
      return;
    }
    send.mutate(
      { email: address, returnTo: currentPath() },
      {
        onSuccess: () => {
          setSentTo(address);
          setResendAt(Date.now() + RESEND_AFTER_SECONDS * 1000);
        },
        onError: (error) => {
          if (error instanceof ApiProblem && error.status === 422) {
            setFieldError(t('auth.invalidEmail'));
          } else if (error instanceof ApiProblem && error.status === 429) {
            const wait = error.retryAfter ?? RESEND_AFTER_SECONDS;
            setResendAt(Date.now() + wait * 1000);
            setFailure(t('auth.rateLimited', { wait: formatWait(wait, t) }));
          } else {
            setFailure(problemMessage(error, t));
          }
        },
      },
    );
  };

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    submit(email.trim());
  };

  if (sentTo) {
    return (
      <section className={styles.sent} aria-labelledby={`${inputId}-sent`}>
        <Mail size={32} className={styles.mailIcon} />
        <h2 id={`${inputId}-sent`} className={styles.subtitle}>
          {t('auth.checkMail')}
        </h2>
        <p>{t('auth.sentTo', { email: sentTo })}</p>
        <p className={styles.muted}>{t('auth.linkWorksOnce')}</p>
        {failure && (
          <p className="alert" role="alert">
            {failure}
          </p>
        )}
        <div className={styles.row}>
          <button
            type="button"
            className="btn"
            disabled={waitLeft > 0 || send.isPending}
            onClick={() => submit(sentTo)}
          >
            {waitLeft > 0 ? t('auth.resendIn', { wait: formatWait(waitLeft, t) }) : t('auth.resend')}
          </button>
          <button
            type="button"
            className="btn btn-quiet"
            onClick={() => {
              setSentTo(null);
              setFailure(null);
            }}
          >
            {t('auth.useAnother')}
          </button>
        </div>
        <p className="visually-hidden" role="status">
          {send.isPending ? t('auth.sending') : ''}
        </p>
      </section>
    );
  }

  return (
    <form className={styles.form} onSubmit={onSubmit} noValidate>
      <div className="field">
        <label htmlFor={inputId}>{t('auth.emailLabel')}</label>
        <input
          id={inputId}
          className="input"
          type="email"
          name="email"
          autoComplete="email"
          inputMode="email"
          placeholder={t('auth.emailPlaceholder')}
          value={email}
          onChange={(event) => setEmail(event.target.value)}
          aria-invalid={fieldError ? true : undefined}
          aria-describedby={fieldError ? errorId : undefined}
          required
        />
        {fieldError && (
          <p id={errorId} className="field-error">
            {fieldError}
          </p>
        )}
      </div>
      {failure && (
        <p className="alert" role="alert">
          {failure}
        </p>
      )}
      <button
        type="submit"
        className={`btn ${primary ? 'btn-primary' : ''} ${styles.wide}`}
        disabled={send.isPending || waitLeft > 0}
      >
        {send.isPending ? t('auth.sending') : t('auth.sendLink')}
      </button>
    </form>
  );
}
