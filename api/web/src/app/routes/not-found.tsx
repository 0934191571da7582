import { useTranslation } from 'react-i18next';
import { Link } from 'react-router-dom';
import { EmptyState } from '../../components/ui/states';

export function NotFoundRoute() {
  const { t } = useTranslation();
  return (
    <EmptyState title={t('notFound.title')}>
      <Link className="btn" to="/">
        {t('notFound.back')}
      </Link>
    </EmptyState>
  );
}
