/** `/meetings/:id`: the meeting's panel over the calendar, loaded on first use. */

import { lazy, Suspense } from 'react';
import { useTranslation } from 'react-i18next';
import { useLocation, useNavigate, useParams } from 'react-router-dom';
import { Spinner } from '../../components/ui/spinner';
import { useCurrentUser } from '../../lib/auth';

const MeetingPanel = lazy(() =>
  import('../../features/meeting/components/meeting-panel').then((module) => ({ default: module.MeetingPanel })),
);

export function MeetingRoute() {
  const { t } = useTranslation();
  const { id = '' } = useParams();
  const { search } = useLocation();
  const navigate = useNavigate();
  const me = useCurrentUser();
  return (
    <Suspense fallback={<Spinner label={t('meeting.loading')} />}>
      <MeetingPanel key={id} id={id} me={me.email} onClose={() => navigate({ pathname: '/', search })} />
    </Suspense>
  );
}
