import { describe, expect, it } from 'vitest';

import { documentRejection } from '../../domain/photo-id.js';
import {
  describeMrzError,
  mrzCheckDigit,
  mrzEvidence,
  parseMrz,
  zoneLines,
  type MrzCheckDigit,
} from './mrz.js';

const TODAY = '2026-01-10';

// ICAO Doc 9303 specimens, issued by Utopia (UTO) to Anna Maria Eriksson.
const ICAO_TD3 = [
  'P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<',
  'L898902C36UTO7408122F1204159ZE184226B<<<<<10',
];
const ICAO_TD1 = [
  'I<UTOD231458907<<<<<<<<<<<<<<<',
  '7408122F1204159UTO<<<<<<<<<<<6',
  'ERIKSSON<<ANNA<MARIA<<<<<<<<<<',
];
const ICAO_TD2 = ['I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<', 'D231458907UTO7408122F1204159<<<<<<<6'];
// ICAO 9303 part 5: a document number longer than 9 characters continues
// into the optional data, with its check digit after it.
const ICAO_TD1_LONG_NUMBER = [
  'I<UTOD23145890<1233<<<<<<<<<<<',
  '7408122F1204159UTO<<<<<<<<<<<2',
  'ERIKSSON<<ANNA<MARIA<<<<<<<<<<',
];
// The German federal printing office's specimen identity card (Erika Mustermann).
const GERMAN_ID_CARD = [
  'IDD<<T220001293<<<<<<<<<<<<<<<',
  '6408125<2010315D<<<<<<<<<<<<<4',
  'MUSTERMANN<<ERIKA<<<<<<<<<<<<<',
];

/** A passport zone with check digits computed independently of the mrz package (which then checks them). */
function passport(
  fields: Partial<{
    state: string;
    names: string;
    number: string;
    birth: string;
    sex: string;
    expiry: string;
  }> = {},
): string[] {
  const {
    state = 'GBR',
    names = 'ASHWORTH<<PRIYA',
    number = '533401372',
    birth = '840317',
    sex = 'F',
    expiry = '300215',
  } = fields;
  const digit = (s: string) => String(mrzCheckDigit(s));
  const personal = '<'.repeat(14);
  const numberPart = number.padEnd(9, '<') + digit(number.padEnd(9, '<'));
  const birthPart = birth + digit(birth);
  const expiryPart = expiry + digit(expiry) + personal + '0';
  const composite = digit(numberPart + birthPart + expiryPart);
  return [
    `P<${state}${names}`.padEnd(44, '<').slice(0, 44),
    `${numberPart}${state}${birthPart}${sex}${expiryPart}${composite}`,
  ];
}

/** The zone with one character replaced. */
function withCharacter(lines: readonly string[], line: number, index: number, character: string): string[] {
  return lines.map((text, i) =>
    i === line ? text.slice(0, index) + character + text.slice(index + 1) : text,
  );
}

/** The zone with the digit at (line, index) changed to another digit. */
const breakDigit = (lines: readonly string[], line: number, index: number): string[] =>
  withCharacter(lines, line, index, String((Number(lines[line]![index]) + 1) % 10));

describe('mrzCheckDigit', () => {
  it.each([
    ['L898902C3', 6],
    ['740812', 2],
    ['120415', 9],
    ['ZE184226B<<<<<', 1],
    ['L898902C3674081221204159ZE184226B<<<<<1', 0],
    ['D23145890', 7],
  ])('gives ICAO 9303 examples their printed digits: %s is %i', (characters, expected) => {
    expect(mrzCheckDigit(characters)).toBe(expected);
  });
});

describe('parseMrz: ICAO specimens', () => {
  it('reads the TD3 (passport) specimen', () => {
    const result = parseMrz(ICAO_TD3, { today: TODAY });
    expect(result).toEqual({
      ok: true,
      value: {
        format: 'TD3',
        lines: ICAO_TD3,
        documentCode: 'P',
        issuingState: 'UTO',
        documentNumber: 'L898902C3',
        nationality: 'UTO',
        familyName: 'ERIKSSON',
        givenNames: ['ANNA', 'MARIA'],
        namesMayBeTruncated: false,
        birthDate: '1974-08-12',
        expiryDate: '2012-04-15',
        sex: 'female',
      },
    });
  });

  it('reads the TD1 (identity card) and TD2 specimens', () => {
    const td1 = parseMrz(ICAO_TD1, { today: TODAY });
    expect(td1.ok && td1.value).toMatchObject({
      format: 'TD1',
      documentCode: 'I',
      documentNumber: 'D23145890',
      familyName: 'ERIKSSON',
      givenNames: ['ANNA', 'MARIA'],
      birthDate: '1974-08-12',
      expiryDate: '2012-04-15',
    });
    const td2 = parseMrz(ICAO_TD2, { today: TODAY });
    expect(td2.ok && td2.value).toMatchObject({
      format: 'TD2',
      documentNumber: 'D23145890',
      birthDate: '1974-08-12',
    });
  });

  it('reads a long TD1 document number that continues into the optional data', () => {
    const result = parseMrz(ICAO_TD1_LONG_NUMBER, { today: TODAY });
    expect(result.ok && result.value.documentNumber).toBe('D23145890123');
  });

  it('reads the German specimen identity card (state D, sex unspecified)', () => {
    const result = parseMrz(GERMAN_ID_CARD, { today: TODAY });
    expect(result.ok && result.value).toMatchObject({
      format: 'TD1',
      documentCode: 'ID',
      issuingState: 'D',
      documentNumber: 'T22000129',
      familyName: 'MUSTERMANN',
      givenNames: ['ERIKA'],
      birthDate: '1964-08-12',
      expiryDate: '2020-10-31',
      sex: 'unspecified',
    });
  });
});

describe('parseMrz: check digits', () => {
  const td3Digits: [MrzCheckDigit, number][] = [
    ['documentNumber', 9],
    ['birthDate', 19],
    ['expiryDate', 27],
    ['personalNumber', 42],
    ['composite', 43],
  ];
  it.each(td3Digits)('names the broken %s check digit of a passport (line 2, index %i)', (digit, index) => {
    const result = parseMrz(breakDigit(ICAO_TD3, 1, index), { today: TODAY });
    expect(result.ok).toBe(false);
    if (result.ok || result.error.code !== 'invalid') throw new Error('expected an invalid zone');
    expect(result.error.problems).toContainEqual({ kind: 'check-digit', digit, line: 2 });
    // Every check digit is itself inside the composite: breaking one breaks both, and nothing else.
    const digits = new Set(result.error.problems.map((p) => (p.kind === 'check-digit' ? p.digit : p.field)));
    expect(digits).toEqual(new Set([digit, 'composite']));
  });

  const td1Digits: [MrzCheckDigit, number, number][] = [
    ['documentNumber', 0, 14],
    ['birthDate', 1, 6],
    ['expiryDate', 1, 14],
    ['composite', 1, 29],
  ];
  it.each(td1Digits)('names the broken %s check digit of an identity card', (digit, line, index) => {
    const result = parseMrz(breakDigit(GERMAN_ID_CARD, line, index), { today: TODAY });
    expect(result.ok).toBe(false);
    if (!result.ok && result.error.code === 'invalid') {
      expect(result.error.problems).toContainEqual({ kind: 'check-digit', digit, line: line + 1 });
    }
  });

  it('catches a mistyped date of birth through its check digit', () => {
    // 740812 typed as 740813: the digit no longer matches, nor does the composite.
    const result = parseMrz(withCharacter(ICAO_TD3, 1, 18, '3'), { today: TODAY });
    expect(result).toEqual({
      ok: false,
      error: {
        code: 'invalid',
        problems: [
          { kind: 'check-digit', digit: 'birthDate', line: 2 },
          { kind: 'check-digit', digit: 'composite', line: 2 },
        ],
      },
    });
  });

  it('catches a mistyped document number, letter for digit', () => {
    const result = parseMrz(withCharacter(ICAO_TD3, 1, 0, 'I'), { today: TODAY });
    expect(result.ok === false && result.error).toMatchObject({ code: 'invalid' });
    if (!result.ok && result.error.code === 'invalid') {
      expect(result.error.problems).toContainEqual({ kind: 'check-digit', digit: 'documentNumber', line: 2 });
    }
  });

  it('reports impossible fields as well as check digits', () => {
    // Month 13, with its check digits recomputed so only the date itself is wrong.
    const lines = passport({ birth: '841317' });
    const result = parseMrz(lines, { today: TODAY });
    expect(result.ok === false && result.error).toEqual({
      code: 'invalid',
      problems: [{ kind: 'invalid-field', field: 'birthDate', line: 2 }],
    });
    // 31 February passes the package's own check (days 1-31) but not the calendar.
    const february = parseMrz(passport({ birth: '840231' }), { today: TODAY });
    expect(february.ok === false && february.error).toEqual({
      code: 'invalid',
      problems: [{ kind: 'invalid-field', field: 'birthDate', line: 2 }],
    });
    const unknownState = parseMrz(passport({ state: 'XYZ' }), { today: TODAY });
    expect(unknownState.ok === false && unknownState.error).toMatchObject({
      code: 'invalid',
      problems: [
        { kind: 'invalid-field', field: 'issuingState', line: 1 },
        { kind: 'invalid-field', field: 'nationality', line: 2 },
      ],
    });
  });
});

describe('parseMrz: a UK passport, dates and names', () => {
  it('reads a UK passport built with the check digits', () => {
    const result = parseMrz(passport(), { today: TODAY });
    expect(result.ok && result.value).toMatchObject({
      issuingState: 'GBR',
      documentNumber: '533401372',
      familyName: 'ASHWORTH',
      givenNames: ['PRIYA'],
      birthDate: '1984-03-17',
      expiryDate: '2030-02-15',
      namesMayBeTruncated: false,
    });
  });

  it.each([
    ['100101', '2010-01-01'],
    ['260110', '2026-01-10'],
    ['260111', '1926-01-11'],
    ['300101', '1930-01-01'],
  ])('puts a birth date of %s in the past: %s', (birth, expected) => {
    const result = parseMrz(passport({ birth }), { today: TODAY });
    expect(result.ok && result.value.birthDate).toBe(expected);
  });

  it('reads an unknown day of birth (<<) as no date rather than an error', () => {
    const result = parseMrz(passport({ birth: '8403<<' }), { today: TODAY });
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.value.birthDate).toBeUndefined();
  });

  it('flags a name that fills the field to its end as possibly truncated', () => {
    const long = 'WOLFESCHLEGELSTEINHAUSENBERGER<<HUBERTUS<BLAINE';
    const result = parseMrz(passport({ names: long }), { today: TODAY });
    expect(result.ok && result.value).toMatchObject({
      familyName: 'WOLFESCHLEGELSTEINHAUSENBERGER',
      givenNames: ['HUBERTU'],
      namesMayBeTruncated: true,
    });
  });
});

describe('zoneLines: what people type or paste', () => {
  it('accepts lower case, spaces, tabs, blank lines and « for <<', () => {
    const typed = `\n  ${ICAO_TD3[0]!.toLowerCase().replace('<<', '«')}\n\n${ICAO_TD3[1]!.slice(0, 20)} ${ICAO_TD3[1]!.slice(20)}\t\n`;
    expect(zoneLines(typed)).toEqual({ ok: true, value: ICAO_TD3 });
  });

  it('splits a paste that lost its line breaks', () => {
    expect(zoneLines(ICAO_TD3.join(''))).toEqual({ ok: true, value: ICAO_TD3 });
    expect(zoneLines(ICAO_TD1.join(''))).toEqual({ ok: true, value: ICAO_TD1 });
  });

  it.each([
    ['nothing', '', 'empty'],
    ['only spaces', '  \n \t', 'empty'],
    ['a hyphen', ICAO_TD3.join('\n').replace('ANNA', 'ANNA-'), 'characters'],
    ['one line of a passport', ICAO_TD3[0]!, 'layout'],
    ['a short second line', `${ICAO_TD3[0]!}\n${ICAO_TD3[1]!.slice(0, 43)}`, 'layout'],
    ['three passport lines', [...ICAO_TD3, ICAO_TD3[1]!].join('\n'), 'layout'],
  ])('refuses %s', (_, input, reason) => {
    expect(zoneLines(input)).toEqual({ ok: false, error: reason });
    expect(parseMrz(input, { today: TODAY })).toEqual({ ok: false, error: { code: 'unreadable', reason } });
  });
});

describe('mrzEvidence and the accepted documents', () => {
  it('gives the domain what it needs, and the ICAO specimen is not an accepted document', () => {
    const reading = parseMrz(ICAO_TD3, { today: TODAY });
    if (!reading.ok) throw new Error('the specimen should parse');
    const evidence = mrzEvidence('passport', reading.value, 'typed-by-person');
    expect(evidence).toMatchObject({
      identity: { kind: 'passport', issuingState: 'UTO', mrz: { format: 'TD3', documentCode: 'P' } },
      details: { familyName: 'ERIKSSON', givenNames: ['ANNA', 'MARIA'], birthDate: '1974-08-12' },
      source: 'typed-by-person',
      integrity: { valid: true },
    });
    expect(documentRejection(evidence.identity)).toBe('issuer-not-accepted');
  });

  it('accepts a German identity card as an identity card, and not as a passport', () => {
    const reading = parseMrz(GERMAN_ID_CARD, { today: TODAY });
    if (!reading.ok) throw new Error('the specimen should parse');
    expect(
      documentRejection(mrzEvidence('national-identity-card', reading.value, 'typed-by-person').identity),
    ).toBeUndefined();
    expect(documentRejection(mrzEvidence('passport', reading.value, 'typed-by-person').identity)).toBe(
      'not-this-kind',
    );
  });

  it('accepts a UK passport', () => {
    const reading = parseMrz(passport(), { today: TODAY });
    if (!reading.ok) throw new Error('should parse');
    expect(
      documentRejection(mrzEvidence('passport', reading.value, 'typed-by-person').identity),
    ).toBeUndefined();
  });
});

describe('describeMrzError', () => {
  it('points at the line to check, once per line', () => {
    const result = parseMrz(breakDigit(ICAO_TD3, 1, 9), { today: TODAY });
    if (result.ok) throw new Error('should not parse');
    expect(describeMrzError(result.error)).toEqual(['Check line 2: it does not match your ID']);
    expect(describeMrzError({ code: 'unreadable', reason: 'layout' })[0]).toMatch(/2 lines of 44/);
  });
});
