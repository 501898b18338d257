import { describe, expect, it } from 'vitest';
import {
  birthDateFromParts,
  failedRules,
  formatPostcode,
  MATCH_RULES,
  matchFailureMessage,
  matchOne,
  nameKey,
  normaliseBirthDate,
  normaliseClaim,
  normalisePostcode,
  type DemographicClaimInput,
  type DemographicRecord,
  type MatchField,
  type NormalisedClaim,
} from './demographics-match.js';

const PRIYA: DemographicRecord = {
  nhsNumber: '9990000018',
  familyName: 'Ashworth',
  givenNames: ['Priya'],
  birthDate: '1984-03-17',
  postcode: 'LS1 5HD',
  deceased: false,
};

const PRIYA_CLAIM: DemographicClaimInput = {
  familyName: 'Ashworth',
  givenName: 'Priya',
  birthDate: '1984-03-17',
  postcode: 'LS1 5HD',
};

function claim(input: Partial<DemographicClaimInput> = {}): NormalisedClaim {
  const result = normaliseClaim({ ...PRIYA_CLAIM, ...input });
  if (!result.ok) throw new Error(`claim did not normalise: ${JSON.stringify(result.error)}`);
  return result.value;
}

const record = (changes: Partial<DemographicRecord> = {}): DemographicRecord => ({ ...PRIYA, ...changes });

describe('nameKey', () => {
  it.each([
    ['case', 'ASHWORTH', 'ashworth'],
    ['accents', 'Zoë', 'zoe'],
    ['circumflex', 'Siân', 'sian'],
    ['acute and tilde', 'Núñez', 'nunez'],
    ['cedilla', 'François', 'francois'],
    ['Polish ł', 'Łukasz', 'lukasz'],
    ['Serbian đ', 'Đorđević', 'dordevic'],
    ['Nordic ø', 'Øvergård', 'overgard'],
    ['German ß', 'Strauß', 'strauss'],
    ['ligature æ', 'Æthelred', 'aethelred'],
    ['hyphen', 'Smith-Jones', 'smithjones'],
    ['space instead of hyphen', 'Smith Jones', 'smithjones'],
    ['several spaces and tabs', '  Smith \t  Jones ', 'smithjones'],
    ['en dash', 'Smith–Jones', 'smithjones'],
    ['straight apostrophe', "O'Brien", 'obrien'],
    ['curly apostrophe', 'O’Brien', 'obrien'],
    ['modifier letter apostrophe', 'Oʼbrien', 'obrien'],
    ['no apostrophe', 'OBrien', 'obrien'],
    ['full stop', 'St. John', 'stjohn'],
    ['decomposed input (NFD)', 'Zoe\u0308', 'zoe'],
    ['Turkish dotted capital I', 'İlhan', 'ilhan'],
    ['full-width letters', 'Ｓｍｉｔｈ', 'smith'],
  ])('folds %s: %s → %s', (_label, input, key) => {
    expect(nameKey(input)).toBe(key);
  });
});

describe('normalisePostcode', () => {
  it.each([
    ['LS1 5HD', 'LS15HD'],
    ['ls1 5hd', 'LS15HD'],
    ['LS15HD', 'LS15HD'],
    ['  ls1   5hd ', 'LS15HD'],
    ['SW1A 1AA', 'SW1A1AA'],
    ['M1 1AE', 'M11AE'],
    ['B33 8TH', 'B338TH'],
    ['CR2 6XH', 'CR26XH'],
    ['DN55 1PT', 'DN551PT'],
    ['W1A 0AX', 'W1A0AX'],
    ['EC1A 1BB', 'EC1A1BB'],
    ['GIR 0AA', 'GIR0AA'],
    ['ＬＳ１ ５ＨＤ', 'LS15HD'],
  ])('accepts %j as %s', (input, compact) => {
    expect(normalisePostcode(input)).toBe(compact);
  });

  it.each([
    ['empty', ''],
    ['outward code only', 'LS1'],
    ['no digit in outward code', 'LS 5HD'],
    ['unit letter C (never used)', 'LS1 5HC'],
    ['unit letter I', 'LS1 5IA'],
    ['letter where the sector digit goes', 'LS1 AHD'],
    ['three area letters', 'LSX1 5HD'],
    ['hyphen', 'LS1-5HD'],
    ['too long', 'LS1 5HDD'],
    ['US ZIP code', '90210'],
  ])('rejects %s (%j)', (_label, input) => {
    expect(normalisePostcode(input)).toBeUndefined();
  });

  it('formats with one space before the inward code', () => {
    expect(formatPostcode('ls15hd')).toBe('LS1 5HD');
    expect(formatPostcode('sw1a1aa')).toBe('SW1A 1AA');
    expect(formatPostcode('not a postcode')).toBe('not a postcode');
  });
});

describe('birth dates', () => {
  it.each(['1984-03-17', '2000-02-29', ' 1959-11-02 '])('accepts %j', (input) => {
    expect(normaliseBirthDate(input)).toBe(input.trim());
  });

  it.each([
    '1984-3-17',
    '17/03/1984',
    '1984-02-30',
    '1900-02-29',
    '1984-13-01',
    '1984-00-10',
    '1700-01-01',
    '',
  ])('rejects %j', (input) => {
    expect(normaliseBirthDate(input)).toBeUndefined();
  });

  it('joins the three boxes of a date input', () => {
    expect(birthDateFromParts('17', '3', '1984')).toBe('1984-03-17');
    expect(birthDateFromParts(' 7 ', '03', '2010')).toBe('2010-03-07');
    expect(birthDateFromParts('31', '4', '1984')).toBeUndefined();
    expect(birthDateFromParts('17', '3', '84')).toBeUndefined();
    expect(birthDateFromParts('', '3', '1984')).toBeUndefined();
  });
});

describe('normaliseClaim', () => {
  it('keeps comparison keys only', () => {
    const result = normaliseClaim({
      nhsNumber: '999 000 0018',
      familyName: ' Smith-Jones ',
      givenName: 'Zoë',
      birthDate: '1984-03-17',
      postcode: 'ls1 5hd',
    });
    expect(result).toEqual({
      ok: true,
      value: {
        nhsNumber: '9990000018',
        familyKey: 'smithjones',
        givenKey: 'zoe',
        birthDate: '1984-03-17',
        postcode: 'LS15HD',
      },
    });
  });

  it('leaves out an NHS number that was left blank', () => {
    expect(claim({ nhsNumber: '  ' }).nhsNumber).toBeUndefined();
  });

  it('reports every field with a problem', () => {
    expect(
      normaliseClaim({
        nhsNumber: '9990000019',
        familyName: ' ',
        givenName: 'R2-D2',
        birthDate: '1984-02-30',
        postcode: '',
      }),
    ).toEqual({
      ok: false,
      error: {
        nhsNumber: 'invalid',
        familyName: 'empty',
        givenName: 'invalid',
        birthDate: 'invalid',
        postcode: 'empty',
      },
    });
  });

  it.each([
    ['digits in a name', { familyName: 'Ashworth2' }, 'familyName'],
    ['only punctuation', { familyName: "'-." }, 'familyName'],
    ['a name over 100 characters', { givenName: 'a'.repeat(101) }, 'givenName'],
    ['an emoji', { givenName: 'Priya 🙂' }, 'givenName'],
    ['a badly formed postcode', { postcode: 'LS1 5H' }, 'postcode'],
    ['a date in another format', { birthDate: '17/03/1984' }, 'birthDate'],
    ['an NHS number with a wrong check digit', { nhsNumber: '9990000017' }, 'nhsNumber'],
    ['an NHS number too short', { nhsNumber: '999000001' }, 'nhsNumber'],
  ] as const)('rejects %s', (_label, change, field) => {
    const result = normaliseClaim({ ...PRIYA_CLAIM, ...change });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(Object.keys(result.error)).toEqual([field]);
  });
});

describe('the rules', () => {
  it('are data: every field, what it needs, and when it applies', () => {
    expect(MATCH_RULES.map((r) => [r.field, r.applies])).toEqual([
      ['birthDate', 'always'],
      ['familyName', 'always'],
      ['givenName', 'always'],
      ['postcode', 'always'],
      ['nhsNumber', 'when-claimed'],
    ]);
    for (const rule of MATCH_RULES) expect(rule.comparison.length).toBeGreaterThan(10);
  });

  // What the person types that must still match Priya Ashworth's record.
  it.each<[string, Partial<DemographicClaimInput>, Partial<DemographicRecord>?]>([
    ['exactly as held', {}],
    ['in capitals', { familyName: 'ASHWORTH', givenName: 'PRIYA' }],
    ['in lower case', { familyName: 'ashworth', givenName: 'priya' }],
    ['with spaces around', { familyName: '  Ashworth ', givenName: ' Priya  ' }],
    ['the postcode without a space', { postcode: 'LS15HD' }],
    ['the postcode in lower case with extra spaces', { postcode: ' ls1   5hd ' }],
    ['the NHS number', { nhsNumber: '9990000018' }],
    ['the NHS number spaced 3-3-4', { nhsNumber: '999 000 0018' }],
    ['no accent where the record has one', { givenName: 'Zoe' }, { givenNames: ['Zoë'] }],
    ['an accent where the record has none', { givenName: 'Zoë' }, { givenNames: ['Zoe'] }],
    ['a space for a hyphen', { familyName: 'Smith Jones' }, { familyName: 'Smith-Jones' }],
    ['a hyphen for a space', { familyName: 'Smith-Jones' }, { familyName: 'Smith Jones' }],
    ['no apostrophe', { familyName: 'OBrien' }, { familyName: "O'Brien" }],
    ['a curly apostrophe', { familyName: 'O’Brien' }, { familyName: "O'Brien" }],
    ['the first of several given names', { givenName: 'Mary' }, { givenNames: ['Mary', 'Jane'] }],
    ['all given names', { givenName: 'Mary Jane' }, { givenNames: ['Mary', 'Jane'] }],
    ['a compound given name run together', { givenName: 'Annemarie' }, { givenNames: ['Anne-Marie'] }],
    ['a record postcode held without a space', {}, { postcode: 'LS15HD' }],
    ['a record name held in capitals', {}, { familyName: 'ASHWORTH', givenNames: ['PRIYA'] }],
  ])('matches %s', (_label, typed, held) => {
    expect(failedRules(record(held), claim(typed))).toEqual([]);
  });

  // What must NOT match loosely: each changes one field and fails on that rule only.
  it.each<[string, Partial<DemographicClaimInput>, Partial<DemographicRecord>, MatchField]>([
    ['a birth date one day out', { birthDate: '1984-03-18' }, {}, 'birthDate'],
    ['day and month swapped', { birthDate: '1984-03-17' }, { birthDate: '1984-17-03' }, 'birthDate'],
    ['the birth year out', { birthDate: '1985-03-17' }, {}, 'birthDate'],
    ['a record with no birth date', {}, { birthDate: undefined }, 'birthDate'],
    ['a different first name', { givenName: 'Pria' }, {}, 'givenName'],
    ['a middle name alone', { givenName: 'Jane' }, { givenNames: ['Mary', 'Jane'] }, 'givenName'],
    ['a name the record does not have', { givenName: 'Mary Ann' }, { givenNames: ['Mary'] }, 'givenName'],
    ['initial only', { givenName: 'P' }, {}, 'givenName'],
    ['a record with no given names', {}, { givenNames: [] }, 'givenName'],
    ['a different surname', { familyName: 'Ashwood' }, {}, 'familyName'],
    ['a soundalike surname', { familyName: 'Smyth' }, { familyName: 'Smith' }, 'familyName'],
    ['half a double-barrelled surname', { familyName: 'Smith' }, { familyName: 'Smith-Jones' }, 'familyName'],
    ['a record with no family name', {}, { familyName: undefined }, 'familyName'],
    ['a different postcode', { postcode: 'LS1 5HE' }, {}, 'postcode'],
    ['the outward code of the right postcode', { postcode: 'LS1 1AA' }, {}, 'postcode'],
    ['a record with no current address (restricted)', {}, { postcode: undefined }, 'postcode'],
    ['a different NHS number', { nhsNumber: '9990000026' }, {}, 'nhsNumber'],
  ])('does not match %s', (_label, typed, held, field) => {
    expect(failedRules(record(held), claim(typed))).toEqual([field]);
  });

  it('follows a superseded NHS number to the record that replaced it', () => {
    expect(
      failedRules(record({ previousNhsNumbers: ['9990000026'] }), claim({ nhsNumber: '9990000026' })),
    ).toEqual([]);
  });
});

describe('matchOne', () => {
  const other = record({ nhsNumber: '9990000026', postcode: 'M4 3AJ' });

  it('matches the one record that passes every rule', () => {
    expect(matchOne([other, PRIYA], claim())).toEqual({
      ok: true,
      value: { record: PRIYA, nhsNumber: '9990000018' },
    });
  });

  it('accepts a PDS search result', () => {
    expect(matchOne({ patients: [PRIYA], tooManyMatches: false }, claim()).ok).toBe(true);
  });

  it('is no-match when there are no candidates', () => {
    expect(matchOne([], claim())).toEqual({ ok: false, error: 'no-match' });
  });

  it('is no-match when no candidate passes every rule', () => {
    expect(matchOne([other, record({ birthDate: '1984-03-18' })], claim())).toEqual({
      ok: false,
      error: 'no-match',
    });
  });

  it('is ambiguous when two records pass every rule (never chooses between people)', () => {
    const namesake = record({ nhsNumber: '9990000034' });
    expect(matchOne([PRIYA, namesake], claim())).toEqual({ ok: false, error: 'ambiguous' });
  });

  it('is ambiguous when PDS reports too many matches, whatever it returned', () => {
    expect(matchOne({ patients: [PRIYA], tooManyMatches: true }, claim())).toEqual({
      ok: false,
      error: 'ambiguous',
    });
  });

  it('counts the same record found twice once', () => {
    expect(matchOne([PRIYA, { ...PRIYA }], claim()).ok).toBe(true);
  });

  it('narrows namesakes by postcode', () => {
    const elsewhere = record({ nhsNumber: '9990000034', postcode: 'M4 3AJ' });
    const result = matchOne([PRIYA, elsewhere], claim());
    expect(result.ok && result.value.nhsNumber).toBe('9990000018');
  });

  it('narrows namesakes at one address by NHS number', () => {
    const namesake = record({ nhsNumber: '9990000034' });
    const result = matchOne([PRIYA, namesake], claim({ nhsNumber: '9990000034' }));
    expect(result.ok && result.value.nhsNumber).toBe('9990000034');
  });

  it('is deceased when the single match has died', () => {
    expect(matchOne([record({ deceased: true })], claim())).toEqual({ ok: false, error: 'deceased' });
  });

  it('is ambiguous, not deceased, when a deceased record is one of several matches', () => {
    const namesake = record({ nhsNumber: '9990000034', deceased: true });
    expect(matchOne([PRIYA, namesake], claim())).toEqual({ ok: false, error: 'ambiguous' });
  });

  it('ignores a deceased record that does not match', () => {
    const dead = record({ nhsNumber: '9990000034', birthDate: '1920-01-01', deceased: true });
    expect(matchOne([dead, PRIYA], claim()).ok).toBe(true);
  });

  it('follows a superseded NHS number and says which number to keep', () => {
    const current = record({ nhsNumber: '9990000034', previousNhsNumbers: ['9990000018'] });
    expect(matchOne([current], claim({ nhsNumber: '9990000018' }))).toEqual({
      ok: true,
      value: { record: current, nhsNumber: '9990000034', supersededNhsNumber: '9990000018' },
    });
  });
});

describe('matchFailureMessage', () => {
  it('says the same words for no match, several matches and a deceased record', () => {
    const noMatch = matchFailureMessage('no-match');
    expect(matchFailureMessage('ambiguous')).toEqual(noMatch);
    expect(matchFailureMessage('deceased')).toEqual(noMatch);
  });

  it('never hints at whether a record exists, how many there are, or who they belong to', () => {
    const { title, body } = matchFailureMessage('no-match');
    expect(`${title} ${body}`).not.toMatch(
      /\b(found|exist|record|more than one|several|multiple|died|deceased)\b/i,
    );
  });

  it('tells the person what to do next', () => {
    expect(matchFailureMessage('no-match').body).toMatch(/try again/i);
    expect(matchFailureMessage('no-match').body).toMatch(/another way/i);
  });

  it('says the service is unavailable (not "no match") when PDS cannot be reached', () => {
    const unavailable = matchFailureMessage('unavailable');
    expect(unavailable).not.toEqual(matchFailureMessage('no-match'));
    expect(unavailable.body).toMatch(/try again later/i);
  });
});
