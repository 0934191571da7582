/** Runs before every test file: DOM matchers, English strings, a clean slate between tests. */

import '@testing-library/jest-dom/vitest';
import { cleanup } from '@testing-library/react';
import { afterEach, beforeEach, vi } from 'vitest';
import { i18n } from '../i18n';
import { resetClientState } from '../lib/api-client';
import { toast } from 'react-hot-toast';
import { fakeMatchMedia } from './media';

// jsdom has no layout and no media queries; the app asks for both.
if (!window.matchMedia) {
  Object.defineProperty(window, 'matchMedia', { writable: true, value: fakeMatchMedia(() => false) });
}
Element.prototype.scrollIntoView ??= function scrollIntoView() {};
// The calendar's selection asks what is under the pointer.
document.elementFromPoint ??= () => null;
window.scrollTo = (() => {}) as typeof window.scrollTo;

beforeEach(async () => {
  localStorage.clear();
  await i18n.changeLanguage('en');
});

afterEach(() => {
  cleanup();
  toast.remove();
  resetClientState();
  vi.unstubAllGlobals();
});
