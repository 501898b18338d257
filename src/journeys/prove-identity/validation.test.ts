import { describe, expect, it } from 'vitest';
import {
  checkBirthDate,
  DETAILS_MESSAGES as M,
  GP_DETAILS_MESSAGES as G,
  parseDetails,
  parseGpDetails,
} from './validation.js';

const TODAY = new Date('2025-06-01T12:00:00Z');
const date = (day: string, month: string, year: string) => checkBirthDate({ day, month, year }, TODAY);

describe('checkBirthDate', () => {
  it('takes a real past date, with or without leading zeros', () => {
    expect(date('5', '9', '1941')).toEqual({ ok: true, value: '1941-09-05' });
    expect(date('05', '09', '1941')).toEqual({ ok: true, value: '1941-09-05' });
    expect(date(' 29', '2 ', '2024')).toEqual({ ok: true, value: '2024-02-29' });
    expect(date('1', '6', '2025')).toEqual({ ok: true, value: '2025-06-01' });
  });

  it.each([
    ['', '', '', M.birthDateEmpty, ['day', 'month', 'year']],
    ['', '3', '1984', 'Date of birth must include a day', ['day']],
    ['1', '', '1984', 'Date of birth must include a month', ['month']],
    ['1', '3', '', 'Date of birth must include a year', ['year']],
    ['', '', '1984', 'Date of birth must include a day and month', ['day', 'month']],
    ['1', '', '', 'Date of birth must include a month and year', ['month', 'year']],
    ['32', '3', '1984', M.birthDateReal, ['day']],
    ['1', '13', '1984', M.birthDateReal, ['month']],
    ['x', 'y', '1984', M.birthDateReal, ['day', 'month']],
    ['1', '3', '84', M.birthDateYear, ['year']],
    ['1', 'x', '84', M.birthDateReal, ['month', 'year']],
    ['29', '2', '2023', M.birthDateReal, ['day', 'month', 'year']],
    ['31', '4', '1990', M.birthDateReal, ['day', 'month', 'year']],
    ['1', '1', '1850', M.birthDateReal, ['day', 'month', 'year']],
    ['2', '6', '2025', M.birthDatePast, ['day', 'month', 'year']],
  ])('refuses %j/%j/%j: %s', (d, m, y, message, parts) => {
    expect(date(d, m, y)).toEqual({ ok: false, message, parts });
  });
});

describe('parseDetails', () => {
  const good = {
    nhsNumber: '',
    givenName: ' Siân  Kate ',
    familyName: "O'Brien",
    day: '15',
    month: '3',
    year: '1938',
    postcode: 'eh3 9gw',
  };

  it('normalises what it can compare and leaves the NHS number out when blank', () => {
    const r = parseDetails(good, TODAY);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value).toMatchObject({
      givenName: 'Siân Kate',
      familyName: "O'Brien",
      birthDate: '1938-03-15',
      postcode: 'EH39GW',
    });
    expect(r.value.nhsNumber).toBeUndefined();
    expect(r.value.claim).toMatchObject({ givenKey: 'siankate', familyKey: 'obrien', postcode: 'EH39GW' });
  });

  it('takes an NHS number with spaces or hyphens, and checks its check digit', () => {
    const spaced = parseDetails({ ...good, nhsNumber: '999 001 1044' }, TODAY);
    expect(spaced.ok && spaced.value.nhsNumber).toBe('9990011044');
    const hyphens = parseDetails({ ...good, nhsNumber: '999-001-1044' }, TODAY);
    expect(hyphens.ok && hyphens.value.nhsNumber).toBe('9990011044');
    expect(parseDetails({ ...good, nhsNumber: '8527685222' }, TODAY)).toMatchObject({
      ok: false,
      errors: { nhsNumber: M.nhsNumberInvalid },
    });
    expect(parseDetails({ ...good, nhsNumber: '12345' }, TODAY)).toMatchObject({
      ok: false,
      errors: { nhsNumber: M.nhsNumberLength },
    });
  });

  it('lists every problem at once, in the order of the form, whatever shape the body has', () => {
    const r = parseDetails({ givenName: ['a', 'b'], familyName: '-', postcode: 'nope', day: '1' }, TODAY);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(Object.keys(r.errors)).toEqual(['givenName', 'familyName', 'birthdate', 'postcode']);
    expect(r.errors).toEqual({
      givenName: M.givenNameEmpty,
      familyName: M.familyNameInvalid,
      birthdate: 'Date of birth must include a month and year',
      postcode: M.postcodeInvalid,
    });
    expect(r.dateParts).toEqual(['month', 'year']);
    expect(parseDetails(undefined, TODAY)).toMatchObject({ ok: false });
  });
});

describe('parseGpDetails', () => {
  const good = {
    accountId: '1000 0000 26',
    linkageKey: ' Xk9Dq 2PvS7Lm3 ',
    odsCode: 'b82046',
    familyName: ' Okafor ',
    day: '2',
    month: '11',
    year: '1959',
  };

  it('tidies the details as printed: spaces removed, the practice code upper case, the key as typed', () => {
    expect(parseGpDetails(good, TODAY)).toEqual({
      ok: true,
      value: {
        accountId: '1000000026',
        linkageKey: 'Xk9Dq2PvS7Lm3',
        odsCode: 'B82046',
        familyName: 'Okafor',
        birthDate: '1959-11-02',
      },
    });
  });

  it('lists every problem at once, in the form’s order', () => {
    const r = parseGpDetails({}, TODAY);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toEqual({
      accountId: G.accountIdEmpty,
      linkageKey: G.linkageKeyEmpty,
      odsCode: G.odsCodeEmpty,
      familyName: M.familyNameEmpty,
      birthdate: M.birthDateEmpty,
    });
    expect(r.dateParts).toEqual(['day', 'month', 'year']);
  });

  it('refuses characters no letter from a GP surgery has', () => {
    const r = parseGpDetails({ ...good, accountId: '12-34', linkageKey: 'abc$defg', odsCode: 'B8!' }, TODAY);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toEqual({
      accountId: G.accountIdInvalid,
      linkageKey: G.linkageKeyInvalid,
      odsCode: G.odsCodeInvalid,
    });
  });
});
