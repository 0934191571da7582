import { describe, expect, it } from 'vitest';
import { en } from '../en';
import { ru } from '../ru';

/** Every key, with plural suffixes folded (`days_one` and `days_few` are both `days`). */
function keys(catalogue: object, prefix = ''): Set<string> {
  const found = new Set<string>();
  for (const [key, value] of Object.entries(catalogue)) {
    const name = `${prefix}${key.replace(/_(zero|one|two|few|many|other)$/, '')}`;
    if (typeof value === 'object' && value !== null) keys(value, `${name}.`).forEach((k) => found.add(k));
    else found.add(name);
  }
  return found;
}

function pluralForms(catalogue: object, prefix = ''): Map<string, string[]> {
  const forms = new Map<string, string[]>();
  for (const [key, value] of Object.entries(catalogue)) {
    if (typeof value === 'object' && value !== null) {
      pluralForms(value, `${prefix}${key}.`).forEach((v, k) => forms.set(k, v));
      continue;
    }
    const match = /^(.*)_(one|few|many|other)$/.exec(key);
    if (match) forms.set(`${prefix}${match[1]}`, [...(forms.get(`${prefix}${match[1]}`) ?? []), match[2]!]);
  }
  return forms;
}

describe('the string catalogue', () => {
  it('has every English string in Russian too, and nothing more', () => {
    expect([...keys(ru)].sort()).toEqual([...keys(en)].sort());
  });

  it('gives every Russian count all four plural forms', () => {
    for (const [key, forms] of pluralForms(ru)) {
      expect([key, [...forms].sort()]).toEqual([key, ['few', 'many', 'one', 'other']]);
    }
  });
});
