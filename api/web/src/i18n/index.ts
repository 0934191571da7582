/**
 * The string catalogue (`en.ts`, `ru.ts`) and the language in force: from the person's
 * choice (remembered under `veche.lang`, a preference and nothing secret), else from the
 * browser. Changing it updates `<html lang>` and the language of requests.
 */

import i18n from 'i18next';
import { initReactI18next } from 'react-i18next';
import { setRequestLanguage } from '../lib/api-client';
import { browserLanguage, isLanguage, type Language } from '../lib/locale';
import { en } from './en';
import { ru } from './ru';

export const LANGUAGE_KEY = 'veche.lang';

function rememberedLanguage(): Language | null {
  try {
    const value = localStorage.getItem(LANGUAGE_KEY);
    return isLanguage(value) ? value : null;
  } catch {
    return null;
  }
}

export function initialLanguage(): Language {
  return rememberedLanguage() ?? browserLanguage();
}

function applyLanguage(language: string): void {
  if (typeof document !== 'undefined') document.documentElement.lang = language;
  setRequestLanguage(language);
}

i18n.on('languageChanged', applyLanguage);

void i18n.use(initReactI18next).init({
  resources: { en: { translation: en }, ru: { translation: ru } },
  lng: initialLanguage(),
  fallbackLng: 'en',
  supportedLngs: ['en', 'ru'],
  interpolation: { escapeValue: false },
  initAsync: false,
  returnNull: false,
});

/** Switches the language and remembers the choice. */
export function chooseLanguage(language: Language): void {
  try {
    localStorage.setItem(LANGUAGE_KEY, language);
  } catch {
    // Private modes may refuse storage; the choice then lasts for this page only.
  }
  void i18n.changeLanguage(language);
}

export function currentLanguage(): Language {
  return isLanguage(i18n.language) ? i18n.language : 'en';
}

export { i18n };
