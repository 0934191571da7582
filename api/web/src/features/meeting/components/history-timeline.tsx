import { useTranslation } from 'react-i18next';
import { EmptyState, ErrorState, Skeleton } from '../../../components/ui/states';
import { Video, Clock } from '../../../components/ui/icons';
import { formatMoment } from '../../../lib/format';
import { problemMessage } from '../../../lib/problem-message';
import { useLanguage } from '../../../lib/use-language';
import { useHistory } from '../api/get-history';
import { describeHistory } from './describe-history';
import styles from './meeting-panel.module.css';

/** The History tab: who did what to the meeting, and who was in its call, with times. */
export function HistoryTimeline({ meetingId }: { meetingId: string }) {
  const { t } = useTranslation();
  const language = useLanguage();
  const history = useHistory(meetingId);
  if (history.isPending) return <Skeleton label={t('history.loading')} lines={4} />;
  if (history.isError) return <ErrorState message={problemMessage(history.error, t)} onRetry={() => void history.refetch()} />;
  const items = describeHistory(history.data, t, language);
  if (!items.length) return <EmptyState title={t('history.empty')} />;
  return (
    <ol className={styles.timeline}>
      {items.map((item) => (
        <li key={item.key} className={styles.timelineItem} data-kind={item.kind}>
          <span className={styles.timelineIcon}>{item.kind === 'call' ? <Video size={14} /> : <Clock size={14} />}</span>
          <div>
            <p className={styles.timelineText}>{item.text}</p>
            {item.detail && <p className={styles.timelineDetail}>{item.detail}</p>}
            <time className={styles.timelineTime} dateTime={item.at}>
              {formatMoment(new Date(item.at), language)}
            </time>
          </div>
        </li>
      ))}
    </ol>
  );
}
