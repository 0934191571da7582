import { useTranslation } from 'react-i18next';
import toast from 'react-hot-toast';
import { LogOut } from '../../../components/ui/icons';
import { problemMessage } from '../../../lib/problem-message';
import { useSignOut } from '../api/sign-out';

export function SignOutButton() {
  const { t } = useTranslation();
  const signOut = useSignOut();
  return (
    <button
      type="button"
      className="btn btn-quiet"
      disabled={signOut.isPending}
      onClick={() => signOut.mutate(undefined, { onError: (error) => toast.error(problemMessage(error, t)) })}
    >
      <LogOut />
      <span className="collapse-on-phone">{t('header.signOut')}</span>
    </button>
  );
}
