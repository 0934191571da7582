import { useTranslation } from 'react-i18next';
import toast from 'react-hot-toast';
import { ResponseIcon } from '../../../components/response-status';
import type { Answer, MeetingView } from '../../../lib/api/types';
import { problemMessage } from '../../../lib/problem-message';
import { useRespond } from '../api/respond';
import styles from './meeting-panel.module.css';

const ANSWERS: Answer[] = ['accepted', 'tentative', 'declined'];

/** "Going?" Yes / Maybe / No: the person's own answer, the chosen one pressed. */
export function ResponseButtons({ meeting }: { meeting: MeetingView }) {
  const { t } = useTranslation();
  const respond = useRespond(meeting.id);
  const current = respond.isPending ? respond.variables : meeting.my_response;
  return (
    <div className={styles.answer} role="group" aria-labelledby={`answer-${meeting.id}`}>
      <span id={`answer-${meeting.id}`} className={styles.answerLabel}>
        {t('meeting.yourAnswer')}
      </span>
      <div className={styles.answerButtons}>
        {ANSWERS.map((answer) => (
          <button
            key={answer}
            type="button"
            className={`btn ${styles.answerButton}`}
            aria-pressed={current === answer}
            disabled={respond.isPending}
            onClick={() =>
              respond.mutate(answer, {
                onSuccess: () => toast.success(t(`meeting.answered.${answer}`), { id: `answer-${meeting.id}` }),
                onError: (error) => toast.error(problemMessage(error, t)),
              })
            }
          >
            <ResponseIcon response={answer} />
            {t(`meeting.answers.${answer}`)}
          </button>
        ))}
      </div>
    </div>
  );
}
