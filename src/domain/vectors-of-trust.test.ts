import { describe, expect, it } from 'vitest';
import {
  checkVtrAllowed,
  DEFAULT_VTR,
  firstVectorMet,
  levelAtLeast,
  parseVector,
  parseVtr,
  stepUpNeeded,
  trustmarkDocument,
  vectorMet,
  type Credential,
  type ProofingLevel,
  type Vector,
} from './vectors-of-trust.js';

const v = (text: string): Vector => {
  const parsed = parseVector(text);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value;
};
const vs = (...texts: string[]): Vector[] => texts.map(v);
const state = (level: ProofingLevel, ...credentials: Credential[]) => ({
  level,
  credentials: new Set(credentials),
});

describe('parseVector', () => {
  it.each(['P0', 'P5', 'P9'])('accepts every allowed profile at %s', (level) => {
    for (const creds of ['Cp', 'Cp.Cd', 'Cp.Ck', 'Cm']) {
      const parsed = parseVector(`${level}.${creds}`);
      expect(parsed).toEqual({
        ok: true,
        value: { level, credentials: creds.split('.'), text: `${level}.${creds}` },
      });
    }
  });

  it.each([
    ['no credentials', 'P9'],
    ['unknown level', 'P7.Cp'],
    ['level not first', 'Cp.P9'],
    ['two levels', 'P9.P5.Cp'],
    ['credential not in a profile', 'P9.Cd'],
    ['credentials out of order', 'P9.Cd.Cp'],
    ['three credentials', 'P9.Cp.Cd.Ck'],
    ['unknown credential', 'P9.Cx'],
    ['duplicate credential', 'P9.Cp.Cp'],
    ['lower case', 'p9.cp'],
    ['empty', ''],
    ['trailing dot', 'P9.Cp.'],
  ])('rejects %s', (_label, text) => {
    const parsed = parseVector(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toMatch(/^The vector of trust .*\.$/);
  });
});

describe('parseVtr', () => {
  it('defaults to the P9 list when absent or empty', () => {
    for (const raw of [undefined, '', '  ']) {
      const parsed = parseVtr(raw);
      expect(parsed.ok && parsed.value.map((x) => x.text)).toEqual(['P9.Cp.Cd', 'P9.Cp.Ck', 'P9.Cm']);
    }
    expect(DEFAULT_VTR).toEqual(['P9.Cp.Cd', 'P9.Cp.Ck', 'P9.Cm']);
  });

  it('does not let a caller mutate the shared default', () => {
    const first = parseVtr(undefined);
    if (first.ok) first.value[0]?.credentials.push('Cm');
    const second = parseVtr(undefined);
    expect(second.ok && second.value[0]?.credentials).toEqual(['Cp', 'Cd']);
  });

  it('keeps the request order', () => {
    const parsed = parseVtr('["P5.Cm","P0.Cp","P9.Cp.Ck"]');
    expect(parsed.ok && parsed.value.map((x) => x.text)).toEqual(['P5.Cm', 'P0.Cp', 'P9.Cp.Ck']);
  });

  it.each([
    ['not JSON', 'P9.Cp.Cd', /JSON array/],
    ['a JSON string', '"P9.Cp.Cd"', /JSON array/],
    ['a JSON object', '{"P9":"Cp"}', /JSON array/],
    ['an empty array', '[]', /at least one/],
    ['a non-string item', '["P9.Cp", 9]', /must be a string/],
    ['a duplicate', '["P9.Cp","P9.Cp"]', /more than once/],
    ['an invalid vector', '["P9.Cp","P9.Cd"]', /P9\.Cd/],
  ])('rejects %s', (_label, raw, message) => {
    const parsed = parseVtr(raw);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.error).toMatch(message);
      expect(parsed.error).toMatch(/\.$/);
    }
  });
});

describe('levelAtLeast', () => {
  it.each([
    ['P0', 'P0', true],
    ['P0', 'P5', false],
    ['P0', 'P9', false],
    ['P5', 'P0', true],
    ['P5', 'P5', true],
    ['P5', 'P9', false],
    ['P9', 'P0', true],
    ['P9', 'P5', true],
    ['P9', 'P9', true],
  ] as const)('%s meets %s: %s', (have, need, expected) => {
    expect(levelAtLeast(have, need)).toBe(expected);
  });
});

describe('vectorMet', () => {
  it('needs the level and every credential', () => {
    expect(vectorMet(v('P9.Cp.Cd'), state('P9', 'Cp', 'Cd'))).toBe(true);
    expect(vectorMet(v('P9.Cp.Cd'), state('P9', 'Cp'))).toBe(false);
    expect(vectorMet(v('P9.Cp.Cd'), state('P5', 'Cp', 'Cd'))).toBe(false);
  });

  it('is met by a higher level and extra credentials', () => {
    expect(vectorMet(v('P0.Cp'), state('P9', 'Cp', 'Cd', 'Cm'))).toBe(true);
  });

  it('does not treat one credential as another', () => {
    expect(vectorMet(v('P9.Cp'), state('P9', 'Cm'))).toBe(false);
    expect(vectorMet(v('P9.Cm'), state('P9', 'Cp', 'Cd', 'Ck'))).toBe(false);
  });
});

describe('firstVectorMet', () => {
  it('returns the first met vector in request order', () => {
    const requested = vs('P9.Cm', 'P9.Cp.Cd', 'P5.Cp');
    expect(firstVectorMet(requested, state('P9', 'Cp', 'Cd'))?.text).toBe('P9.Cp.Cd');
    expect(firstVectorMet(requested, state('P9', 'Cp', 'Cd', 'Cm'))?.text).toBe('P9.Cm');
    expect(firstVectorMet(requested, state('P5', 'Cp', 'Cd'))?.text).toBe('P5.Cp');
  });

  it('returns undefined when none is met', () => {
    expect(firstVectorMet(vs('P9.Cp.Cd', 'P9.Cm'), state('P5', 'Cp', 'Cd', 'Cm'))).toBeUndefined();
  });
});

describe('stepUpNeeded', () => {
  it('is undefined when a vector is met', () => {
    expect(stepUpNeeded(vs('P9.Cp.Cd', 'P9.Cm'), state('P9', 'Cm'))).toBeUndefined();
  });

  it('lists the missing credentials for each vector whose level is met', () => {
    expect(stepUpNeeded(vs('P9.Cp.Cd', 'P9.Cp.Ck', 'P9.Cm'), state('P9', 'Cp'))).toEqual({
      kind: 'credentials',
      options: [['Cd'], ['Ck'], ['Cm']],
    });
  });

  it('leaves out vectors whose level the person has not reached', () => {
    expect(stepUpNeeded(vs('P9.Cp.Cd', 'P5.Cm'), state('P5', 'Cp'))).toEqual({
      kind: 'credentials',
      options: [['Cm']],
    });
  });

  it('lists each distinct option once', () => {
    expect(stepUpNeeded(vs('P5.Cp.Cd', 'P9.Cp.Cd'), state('P9'))).toEqual({
      kind: 'credentials',
      options: [['Cp', 'Cd']],
    });
  });

  it('asks for proofing when no vector level is reached, naming the lowest level above the person', () => {
    expect(stepUpNeeded(vs('P9.Cp.Cd', 'P5.Cp.Cd'), state('P0', 'Cp', 'Cd'))).toEqual({
      kind: 'proofing',
      level: 'P5',
    });
    expect(stepUpNeeded(vs('P9.Cp.Cd', 'P9.Cm'), state('P5', 'Cp', 'Cd'))).toEqual({
      kind: 'proofing',
      level: 'P9',
    });
  });
});

describe('checkVtrAllowed', () => {
  const allowed = ['P9.Cp.Cd', 'P9.Cm', 'P5.Cp'];

  it('passes a request inside the allow-list', () => {
    const r = checkVtrAllowed(vs('P9.Cm', 'P5.Cp'), allowed, false);
    expect(r.ok && r.value.map((x) => x.text)).toEqual(['P9.Cm', 'P5.Cp']);
  });

  it('rejects an explicit request with any vector outside the allow-list', () => {
    const r = checkVtrAllowed(vs('P9.Cm', 'P9.Cp.Ck'), allowed, false);
    expect(r).toEqual({ ok: false, error: 'The vector of trust P9.Cp.Ck is not allowed for this client.' });
  });

  it('drops the default vectors the client may not use', () => {
    const defaults = parseVtr(undefined);
    if (!defaults.ok) throw new Error('default must parse');
    const r = checkVtrAllowed(defaults.value, allowed, true);
    expect(r.ok && r.value.map((x) => x.text)).toEqual(['P9.Cp.Cd', 'P9.Cm']);
  });

  it('fails a defaulted request when the client may use none of the defaults', () => {
    const defaults = parseVtr(undefined);
    if (!defaults.ok) throw new Error('default must parse');
    const r = checkVtrAllowed(defaults.value, ['P5.Cp', 'P0.Cp'], true);
    expect(r.ok).toBe(false);
  });
});

describe('trustmarkDocument', () => {
  it('describes this provider', () => {
    expect(trustmarkDocument('https://login.example.org')).toEqual({
      idp: 'https://login.example.org/',
      trustmark_provider: 'https://login.example.org',
      P: ['P0', 'P5', 'P9'],
      C: ['Cp', 'Cd', 'Ck', 'Cm'],
    });
  });

  it('does not double a trailing slash', () => {
    expect(trustmarkDocument('https://login.example.org/').idp).toBe('https://login.example.org/');
  });
});
