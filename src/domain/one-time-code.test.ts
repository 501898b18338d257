import { describe, expect, it } from 'vitest';
import {
  CODE_TTL_SECONDS,
  codeMatches,
  generateCode,
  hashCode,
  MAX_CODE_ATTEMPTS,
  SMS_CODE_TTL_SECONDS,
} from './one-time-code.js';

const pepper = 'test-pepper';

describe('generateCode', () => {
  it('is always six digits', () => {
    for (let i = 0; i < 2000; i++) expect(generateCode()).toMatch(/^\d{6}$/);
  });

  it('varies and keeps leading zeros', () => {
    const codes = Array.from({ length: 5000 }, generateCode);
    expect(new Set(codes).size).toBeGreaterThan(4900);
    // about 10% of codes start with 0; 5000 draws with none would be a bug
    expect(codes.some((c) => c.startsWith('0'))).toBe(true);
  });

  it('uses every digit in every position', () => {
    const codes = Array.from({ length: 2000 }, generateCode);
    for (let pos = 0; pos < 6; pos++) {
      expect(new Set(codes.map((c) => c[pos])).size).toBe(10);
    }
  });
});

describe('hashCode', () => {
  it('is HMAC-SHA256 in hex', () => {
    // RFC 4231 test case 2
    expect(hashCode('what do ya want for nothing?', 'Jefe')).toBe(
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
  });

  it('depends on the pepper', () => {
    expect(hashCode('123456', 'a')).not.toBe(hashCode('123456', 'b'));
  });

  it('does not contain the code', () => {
    expect(hashCode('123456', pepper)).not.toContain('123456');
  });
});

describe('codeMatches', () => {
  const hash = hashCode('012345', pepper);

  it('matches the right code', () => {
    expect(codeMatches('012345', hash, pepper)).toBe(true);
  });

  it('ignores spaces people type or paste', () => {
    expect(codeMatches('012 345', hash, pepper)).toBe(true);
    expect(codeMatches(' 012345\n', hash, pepper)).toBe(true);
  });

  it('refuses a wrong code, a dropped leading zero and the wrong pepper', () => {
    expect(codeMatches('012346', hash, pepper)).toBe(false);
    expect(codeMatches('12345', hash, pepper)).toBe(false);
    expect(codeMatches('012345', hash, 'other-pepper')).toBe(false);
  });

  it('is false, not an exception, for a malformed stored hash', () => {
    expect(codeMatches('012345', 'abc', pepper)).toBe(false);
    expect(codeMatches('012345', '', pepper)).toBe(false);
  });
});

describe('limits', () => {
  it('gives email codes 15 minutes, texts 5 and 5 attempts', () => {
    expect(CODE_TTL_SECONDS).toBe(15 * 60);
    expect(SMS_CODE_TTL_SECONDS).toBe(5 * 60);
    expect(MAX_CODE_ATTEMPTS).toBe(5);
  });
});
