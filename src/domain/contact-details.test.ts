import { describe, expect, it } from 'vitest';
import {
  EMAIL_MESSAGES,
  LANDLINE_MESSAGES,
  maskPhone,
  MOBILE_MESSAGES,
  normaliseEmail,
  normaliseUkLandline,
  normaliseUkMobile,
} from './contact-details.js';

describe('normaliseEmail', () => {
  it('trims and lowercases', () => {
    expect(normaliseEmail('  Pat.Smith@Example.ORG ')).toEqual({ ok: true, value: 'pat.smith@example.org' });
  });

  it.each(['a@b.co', 'pat+nhs@mail.example.co.uk', "o'brien@example.ie", 'name@xn--bcher-kva.example'])(
    'accepts %s',
    (email) => {
      expect(normaliseEmail(email).ok).toBe(true);
    },
  );

  it.each(['', '   ', '\t\n'])('reports %j as empty', (email) => {
    expect(normaliseEmail(email)).toEqual({ ok: false, error: 'empty' });
  });

  it.each([
    ['no @', 'pat.example.org'],
    ['two @', 'pat@home@example.org'],
    ['empty local part', '@example.org'],
    ['no dot in domain', 'pat@localhost'],
    ['empty domain label', 'pat@example..org'],
    ['trailing dot', 'pat@example.org.'],
    ['leading dot in domain', 'pat@.example.org'],
    ['space inside', 'pat smith@example.org'],
    ['display name form', 'Pat <pat@example.org>'],
    ['comma', 'pat,smith@example.org'],
    ['control character', 'pat\u0000@example.org'],
    ['local part over 64', `${'a'.repeat(65)}@example.org`],
  ])('rejects %s', (_label, email) => {
    expect(normaliseEmail(email)).toEqual({ ok: false, error: 'invalid' });
  });

  it('allows 254 characters and refuses 255', () => {
    const domain = (n: number) => `${'d'.repeat(n - 4)}.org`;
    const at254 = `${'a'.repeat(64)}@${domain(254 - 65)}`;
    expect(at254.length).toBe(254);
    expect(normaliseEmail(at254).ok).toBe(true);
    const at255 = `${'a'.repeat(64)}@${domain(255 - 65)}`;
    expect(normaliseEmail(at255)).toEqual({ ok: false, error: 'too_long' });
  });
});

describe('normaliseUkMobile', () => {
  it.each([
    '07700 900123',
    '07700900123',
    '+44 7700 900123',
    '+447700900123',
    '447700900123',
    '(07700) 900-123',
    '0044 7700 900123',
    '+44 (0)7700 900123',
    '07700.900.123',
    ' 07700 900 123 ',
  ])('normalises %j to E.164', (input) => {
    expect(normaliseUkMobile(input)).toEqual({ ok: true, value: '+447700900123' });
  });

  it('accepts the mobile ranges and Isle of Man mobiles', () => {
    for (const n of [
      '07123456789',
      '07400123456',
      '07500123456',
      '07800123456',
      '07900123456',
      '07624123456',
    ]) {
      expect(normaliseUkMobile(n).ok).toBe(true);
    }
  });

  it.each(['', '   '])('reports %j as empty', (input) => {
    expect(normaliseUkMobile(input)).toEqual({ ok: false, error: 'empty' });
  });

  it.each([
    ['a landline in Leeds', '0113 496 0000'],
    ['a London number', '020 7946 0000'],
    ['a 03 number', '0300 123 1234'],
    ['a 9-digit 01 number', '016977 3456'],
    ['a freephone number', '0800 123 4567'],
    ['a pager', '07600 123456'],
    ['a personal number', '07000 123456'],
  ])('refuses %s as not a mobile', (_label, input) => {
    expect(normaliseUkMobile(input)).toEqual({ ok: false, error: 'not_mobile' });
  });

  it.each([
    ['letters', '07700 9OO123'],
    ['too short', '07700 90012'],
    ['too long', '07700 9001234'],
    ['a US number', '+1 202 555 0123'],
    ['no trunk 0', '7700 900123'],
    ['an extension', '07700 900123 ext 4'],
    ['plus in the middle', '07700+900123'],
  ])('refuses %s as invalid', (_label, input) => {
    expect(normaliseUkMobile(input)).toEqual({ ok: false, error: 'invalid' });
  });
});

describe('normaliseUkLandline', () => {
  it.each([
    ['0113 496 0000', '+441134960000'],
    ['020 7946 0000', '+442079460000'],
    ['+44 (0)20 7946 0000', '+442079460000'],
    ['0300 123 1234', '+443001231234'],
    ['016977 3456', '+44169773456'],
  ])('normalises %j', (input, expected) => {
    expect(normaliseUkLandline(input)).toEqual({ ok: true, value: expected });
  });

  it('refuses a mobile as not a landline', () => {
    expect(normaliseUkLandline('07700 900123')).toEqual({ ok: false, error: 'not_landline' });
  });

  it('refuses an empty or malformed number', () => {
    expect(normaliseUkLandline('')).toEqual({ ok: false, error: 'empty' });
    expect(normaliseUkLandline('0800 123 4567')).toEqual({ ok: false, error: 'invalid' });
    expect(normaliseUkLandline('0113 496')).toEqual({ ok: false, error: 'invalid' });
  });
});

describe('maskPhone', () => {
  it('shows the first two and last three digits of a UK number', () => {
    expect(maskPhone('+447700900123')).toBe('07*** ***123');
    expect(maskPhone('+441134960000')).toBe('01*** ***000');
  });

  it('masks a shorter UK number without losing the grouping', () => {
    expect(maskPhone('+44169773456')).toBe('01*** **456');
  });

  it('does not reveal the middle of a non-UK number', () => {
    expect(maskPhone('+12025550123')).toBe('+1*** ****123');
  });

  it('hides a very short value completely', () => {
    expect(maskPhone('12345')).toBe('*****');
  });
});

describe('messages', () => {
  it('has a plain-English message for every problem', () => {
    for (const messages of [EMAIL_MESSAGES, MOBILE_MESSAGES, LANDLINE_MESSAGES]) {
      for (const text of Object.values(messages)) {
        expect(text).toMatch(/^(Enter|Email address must)/);
      }
    }
    expect(Object.keys(EMAIL_MESSAGES).sort()).toEqual(['empty', 'invalid', 'too_long']);
    expect(Object.keys(MOBILE_MESSAGES).sort()).toEqual(['empty', 'invalid', 'not_mobile']);
    expect(Object.keys(LANDLINE_MESSAGES).sort()).toEqual(['empty', 'invalid', 'not_landline']);
  });
});
