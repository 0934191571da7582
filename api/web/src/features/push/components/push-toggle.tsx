import toast from 'react-hot-toast';
import { useTranslation } from 'react-i18next';
import { Bell, BellOff } from '../../../components/ui/icons';
import { problemMessage } from '../../../lib/problem-message';
import { usePush } from './use-push';

/** The header's notifications switch: on, off, blocked by the browser, or not possible here. */
export function PushToggle() {
  const { t } = useTranslation();
  const { state, working, turnOn, turnOff } = usePush();
  if (state === 'checking') return null;

  const explain = () => toast(t(state === 'blocked' ? 'push.blockedHelp' : 'push.unsupportedHelp'), { id: 'push-help' });
  const toggle = () => {
    const action = state === 'on' ? turnOff : turnOn;
    action()
      .then(() => undefined)
      .catch((error) => toast.error(error instanceof Error && !('status' in error) ? t('push.failed') : problemMessage(error, t)));
  };
  const unavailable = state === 'blocked' || state === 'unsupported';
  return (
    <button
      type="button"
      className="btn btn-quiet"
      aria-pressed={unavailable ? undefined : state === 'on'}
      aria-disabled={unavailable || working || undefined}
      title={t(`push.hint.${state}`)}
      onClick={unavailable ? explain : working ? undefined : toggle}
    >
      {state === 'on' ? <Bell /> : <BellOff />}
      <span className="collapse-on-phone">{t(`push.state.${state}`)}</span>
    </button>
  );
}
