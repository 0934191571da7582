import { useTranslation } from 'react-i18next';
import { chooseLanguage } from '../i18n';
import { LANGUAGES, isLanguage } from '../lib/locale';
import { useLanguage } from '../lib/use-language';
import { Globe } from './ui/icons';
import styles from './layout/app-header.module.css';

/** Русский / English, each named in its own language. */
export function LanguageSwitch() {
  const { t } = useTranslation();
  const language = useLanguage();
  return (
    <label className={styles.language}>
      <Globe />
      <span className="visually-hidden">{t('header.language')}</span>
      <select
        className={styles.languageSelect}
        value={language}
        onChange={(event) => {
          if (isLanguage(event.target.value)) chooseLanguage(event.target.value);
        }}
      >
        {LANGUAGES.map((code) => (
          <option key={code} value={code} lang={code}>
            {t(`languages.${code}`)}
          </option>
        ))}
      </select>
    </label>
  );
}
