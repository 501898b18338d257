import { describe, expect, it } from 'vitest';
import {
  formatNhsNumber,
  generateTestNhsNumber,
  isValidNhsNumber,
  maskNhsNumber,
  nhsNumberCheckDigit,
  normaliseNhsNumber,
  testNhsNumberCapacity,
} from './nhs-number.js';

describe('isValidNhsNumber', () => {
  it.each(['9000000009', '9686368973', '9990000018'])('accepts %s', (n) => {
    expect(isValidNhsNumber(n)).toBe(true);
  });

  it.each(['8527685222', '4447685222'])('rejects %s (wrong check digit)', (n) => {
    expect(isValidNhsNumber(n)).toBe(false);
  });

  it('accepts spaces and hyphens between digits', () => {
    expect(isValidNhsNumber('900 000 0009')).toBe(true);
    expect(isValidNhsNumber('968-636-8973')).toBe(true);
    expect(isValidNhsNumber(' 968 636 8973 ')).toBe(true);
  });

  it.each([
    ['too short', '900000000'],
    ['too long', '90000000090'],
    ['letters', '90000000O9'],
    ['empty', ''],
    ['other punctuation', '900.000.0009'],
  ])('rejects %s', (_label, n) => {
    expect(isValidNhsNumber(n)).toBe(false);
  });

  it('rejects every number whose nine digits give a check digit of 10', () => {
    // 100000001: sum = 10 + 2 = 12, 12 mod 11 = 1, 11 - 1 = 10
    expect(nhsNumberCheckDigit('100000001')).toBeUndefined();
    for (let d = 0; d <= 9; d++) expect(isValidNhsNumber(`100000001${d}`)).toBe(false);
  });

  it('catches a single changed digit in a valid number', () => {
    const valid = '9686368973';
    for (let i = 0; i < 10; i++) {
      const original = Number(valid[i]);
      const changed = valid.slice(0, i) + String((original + 1) % 10) + valid.slice(i + 1);
      expect(isValidNhsNumber(changed)).toBe(false);
    }
  });
});

describe('nhsNumberCheckDigit', () => {
  it('computes the modulus 11 check digit', () => {
    expect(nhsNumberCheckDigit('968636897')).toBe(3);
    expect(nhsNumberCheckDigit('900000000')).toBe(9);
  });

  it('maps a check of 11 to 0', () => {
    // 000000000: sum 0, 11 - 0 = 11 -> 0
    expect(nhsNumberCheckDigit('000000000')).toBe(0);
  });

  it('refuses input that is not exactly nine digits', () => {
    expect(nhsNumberCheckDigit('96863689')).toBeUndefined();
    expect(nhsNumberCheckDigit('9686368973')).toBeUndefined();
    expect(nhsNumberCheckDigit('96863689a')).toBeUndefined();
  });
});

describe('normaliseNhsNumber', () => {
  it('returns the bare ten digits of a valid number', () => {
    expect(normaliseNhsNumber('968 636 8973')).toBe('9686368973');
    expect(normaliseNhsNumber('968-636-8973')).toBe('9686368973');
  });

  it('returns undefined for an invalid number', () => {
    expect(normaliseNhsNumber('852 768 5222')).toBeUndefined();
    expect(normaliseNhsNumber('not a number')).toBeUndefined();
  });
});

describe('formatNhsNumber', () => {
  it('groups as 3-3-4', () => {
    expect(formatNhsNumber('9000000009')).toBe('900 000 0009');
    expect(formatNhsNumber('968-636-8973')).toBe('968 636 8973');
  });

  it('leaves something that is not ten digits as it was', () => {
    expect(formatNhsNumber('12345')).toBe('12345');
  });
});

describe('maskNhsNumber', () => {
  it('shows only the last four digits', () => {
    expect(maskNhsNumber('9000000009')).toBe('******0009');
    expect(maskNhsNumber('968 636 8973')).toBe('******8973');
  });

  it('hides short input completely', () => {
    expect(maskNhsNumber('123')).toBe('***');
  });
});

describe('generateTestNhsNumber', () => {
  it('produces valid numbers in the 999 range', () => {
    for (let seq = 0; seq < 500; seq++) {
      const n = generateTestNhsNumber(seq);
      expect(n).toMatch(/^999\d{7}$/);
      expect(isValidNhsNumber(n)).toBe(true);
    }
  });

  it('produces distinct, ascending numbers for distinct sequences', () => {
    const numbers = Array.from({ length: 2000 }, (_, i) => generateTestNhsNumber(i));
    expect(new Set(numbers).size).toBe(numbers.length);
    const sorted = [...numbers].sort();
    expect(numbers).toEqual(sorted);
  });

  it('skips sequences with no valid check digit without reusing a number', () => {
    // 999000000 gives a check of 10, so the first test number is 999000001 + 8,
    // the example in interface.md.
    expect(nhsNumberCheckDigit('999000000')).toBeUndefined();
    expect(generateTestNhsNumber(0)).toBe('9990000018');
    let raw = 1;
    while (nhsNumberCheckDigit('999' + String(raw).padStart(6, '0')) !== undefined) raw++;
    const skipped = '999' + String(raw).padStart(6, '0');
    // raw - 1 valid sequences precede the skipped one (raw 0 was skipped too)
    const numbers = Array.from({ length: raw + 1 }, (_, i) => generateTestNhsNumber(i));
    expect(numbers.some((n) => n.startsWith(skipped))).toBe(false);
    expect(numbers[raw - 1]?.slice(0, 9)).toBe('999' + String(raw + 1).padStart(6, '0'));
  });

  it('is consistent across block boundaries and at the end of the range', () => {
    const capacity = testNhsNumberCapacity();
    // about 1 in 11 sequences is skipped
    expect(capacity).toBeGreaterThan(900_000);
    expect(capacity).toBeLessThan(1_000_000);
    const last = generateTestNhsNumber(capacity - 1);
    expect(isValidNhsNumber(last)).toBe(true);
    expect(last.startsWith('999999')).toBe(true);
    expect(() => generateTestNhsNumber(capacity)).toThrow(RangeError);
    for (const seq of [899, 900, 901, 909, 910, 911, 5000, 123_456]) {
      const a = generateTestNhsNumber(seq);
      const b = generateTestNhsNumber(seq + 1);
      expect(isValidNhsNumber(a)).toBe(true);
      expect(b > a).toBe(true);
    }
  });

  it('refuses negative or fractional sequences', () => {
    expect(() => generateTestNhsNumber(-1)).toThrow(RangeError);
    expect(() => generateTestNhsNumber(1.5)).toThrow(RangeError);
  });
});
