import styles from './states.module.css';

/** A small turning ring; `label` is what screen readers hear while it turns. */
export function Spinner({ label }: { label: string }) {
  return (
    <span className={styles.spinnerWrap} role="status">
      <span className={styles.spinner} aria-hidden="true" />
      <span className="visually-hidden">{label}</span>
    </span>
  );
}
