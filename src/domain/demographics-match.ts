// P5: a person's claimed identity (name, date of birth, postcode, and an NHS
// number if they know it) matched to exactly one national demographics (PDS)
// record. The national record finds candidates; the rules here decide, so the
// same strict rules apply whichever PDS adapter found them.
//
// Normalisation absorbs how people type (capitals, accents, spaces, hyphens,
// apostrophes, postcode spacing); it never loosens a field: a different date
// of birth, first name, surname or postcode is no match. And a failure never
// says whether a record exists: no match, several matches and a deceased
// person's record all give the patient the same words.
import { normaliseNhsNumber } from './nhs-number.js';
import { err, ok, type Result } from './result.js';

/** What the rules read from a national record (PDS adapters give more). */
export interface DemographicRecord {
  /** The record's current NHS number. */
  readonly nhsNumber: string;
  /** Superseded (merged) NHS numbers known to lead to this record. */
  readonly previousNhsNumbers?: readonly string[];
  /** From the current usual name. */
  readonly familyName?: string;
  readonly givenNames: readonly string[];
  /** YYYY-MM-DD. */
  readonly birthDate?: string;
  /** Of the current home address, as PDS holds it. */
  readonly postcode?: string;
  readonly deceased: boolean;
}

/** What the person typed. */
export interface DemographicClaimInput {
  nhsNumber?: string | undefined;
  familyName: string;
  givenName: string;
  /** YYYY-MM-DD (see birthDateFromParts for the three-field form). */
  birthDate: string;
  postcode: string;
}

declare const normalised: unique symbol;

/** A claim that passed normaliseClaim: comparison keys only. */
export interface NormalisedClaim {
  readonly [normalised]: true;
  readonly nhsNumber?: string;
  readonly familyKey: string;
  readonly givenKey: string;
  readonly birthDate: string;
  /** Upper case, no spaces: LS14AP. */
  readonly postcode: string;
}

export type ClaimField = 'nhsNumber' | 'familyName' | 'givenName' | 'birthDate' | 'postcode';
export type ClaimProblem = 'empty' | 'invalid';
export type ClaimProblems = Partial<Record<ClaimField, ClaimProblem>>;

// ---------------------------------------------------------------------------
// Normalisation

// Letters that do not decompose under NFKD but that people (and keyboards)
// write in plain Latin letters.
const FOLDS: Record<string, string> = {
  ß: 'ss',
  æ: 'ae',
  œ: 'oe',
  ø: 'o',
  ł: 'l',
  đ: 'd',
  ð: 'd',
  þ: 'th',
  ı: 'i',
};
const FOLDABLE = /[ßæœøłđðþı]/gu;
const MARKS = /\p{M}/gu;
// Spaces, hyphens and dashes, apostrophes and quote marks used as apostrophes,
// and full stops (St. John): all are separators, and comparison ignores them,
// so Smith-Jones, Smith Jones and SmithJones are one name, as are O'Brien,
// O’Brien and OBrien.
const SEPARATORS = /[\s\-\u2010-\u2015\u2212'\u2018\u2019\u02BC`\u00B4.]/gu;
// What a name may contain: letters (with their accents), and the separators.
const NAME_CHARACTERS = /^[\p{L}\p{M}\s\-\u2010-\u2015\u2212'\u2018\u2019\u02BC`\u00B4.]+$/u;
const MAX_NAME_LENGTH = 100;

/**
 * The comparison key for a name: case-folded, accents removed (Zoë = Zoe,
 * Siân = Sian), ß/æ/ø and friends spelled out, and separators dropped.
 */
export function nameKey(name: string): string {
  return name
    .normalize('NFKC')
    .toLowerCase()
    .normalize('NFKD')
    .replace(MARKS, '')
    .replace(FOLDABLE, (c) => FOLDS[c] ?? c)
    .replace(SEPARATORS, '');
}

/** A name as entered, checked: undefined problem means it can be compared. */
function nameProblem(name: string): ClaimProblem | undefined {
  const trimmed = name.trim();
  if (trimmed === '') return 'empty';
  if (trimmed.length > MAX_NAME_LENGTH || !NAME_CHARACTERS.test(trimmed)) return 'invalid';
  return nameKey(trimmed) === '' ? 'invalid' : undefined;
}

// UK postcode: outward code (area, district) and inward code (sector, unit).
// The unit letters never include C, I, K, M, O or V. GIR 0AA is Girobank's.
const POSTCODE = /^(?:[A-Z]{1,2}\d[A-Z\d]?\d[ABD-HJLNP-UW-Z]{2}|GIR0AA)$/;

/** Upper case without spaces (LS14AP) when the format is valid, else undefined. */
export function normalisePostcode(input: string): string | undefined {
  const compact = input.normalize('NFKC').replace(/\s+/gu, '').toUpperCase();
  return POSTCODE.test(compact) ? compact : undefined;
}

/** The written form, with one space before the inward code: LS1 4AP. */
export function formatPostcode(postcode: string): string {
  const compact = normalisePostcode(postcode);
  if (!compact) return postcode;
  return `${compact.slice(0, -3)} ${compact.slice(-3)}`;
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function isCalendarDate(year: number, month: number, day: number): boolean {
  if (year < 1800 || month < 1 || month > 12 || day < 1) return false;
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** YYYY-MM-DD when the input is a real calendar date in that form, else undefined. */
export function normaliseBirthDate(input: string): string | undefined {
  const m = ISO_DATE.exec(input.trim());
  if (!m) return undefined;
  return isCalendarDate(Number(m[1]), Number(m[2]), Number(m[3])) ? input.trim() : undefined;
}

/** The three boxes of the GOV.UK date input (day, month, year) as YYYY-MM-DD. */
export function birthDateFromParts(day: string, month: string, year: string): string | undefined {
  const [d, m, y] = [day.trim(), month.trim(), year.trim()];
  if (!/^\d{1,2}$/.test(d) || !/^\d{1,2}$/.test(m) || !/^\d{4}$/.test(y)) return undefined;
  return normaliseBirthDate(`${y}-${m.padStart(2, '0')}-${d.padStart(2, '0')}`);
}

/** Checks and normalises everything the person typed, reporting each field's problem. */
export function normaliseClaim(input: DemographicClaimInput): Result<NormalisedClaim, ClaimProblems> {
  const problems: ClaimProblems = {};
  const family = nameProblem(input.familyName);
  if (family) problems.familyName = family;
  const given = nameProblem(input.givenName);
  if (given) problems.givenName = given;
  const birthDate = input.birthDate.trim() === '' ? undefined : normaliseBirthDate(input.birthDate);
  if (!birthDate) problems.birthDate = input.birthDate.trim() === '' ? 'empty' : 'invalid';
  const postcode = input.postcode.trim() === '' ? undefined : normalisePostcode(input.postcode);
  if (!postcode) problems.postcode = input.postcode.trim() === '' ? 'empty' : 'invalid';
  let nhsNumber: string | undefined;
  if (input.nhsNumber !== undefined && input.nhsNumber.trim() !== '') {
    nhsNumber = normaliseNhsNumber(input.nhsNumber.trim());
    if (!nhsNumber) problems.nhsNumber = 'invalid';
  }
  if (Object.keys(problems).length > 0 || !birthDate || !postcode) return err(problems);
  const claim = {
    familyKey: nameKey(input.familyName),
    givenKey: nameKey(input.givenName),
    birthDate,
    postcode,
    ...(nhsNumber ? { nhsNumber } : {}),
  };
  return ok(claim as NormalisedClaim);
}

// ---------------------------------------------------------------------------
// The rules, as data

export type MatchField = 'birthDate' | 'familyName' | 'givenName' | 'postcode' | 'nhsNumber';

export interface MatchRule {
  field: MatchField;
  /** Every claim, or only when the person gave one (the NHS number is optional). */
  applies: 'always' | 'when-claimed';
  /** How the field must compare, in words (for the README and audits). */
  comparison: string;
  matches(record: DemographicRecord, claim: NormalisedClaim): boolean;
}

const given = (record: DemographicRecord): { first: string; all: string } => ({
  first: nameKey(record.givenNames[0] ?? ''),
  all: nameKey(record.givenNames.join(' ')),
});

export const MATCH_RULES: readonly MatchRule[] = [
  {
    field: 'birthDate',
    applies: 'always',
    comparison: 'exactly the same date: no swapped day and month, no nearby dates',
    matches: (record, claim) => record.birthDate === claim.birthDate,
  },
  {
    field: 'familyName',
    applies: 'always',
    comparison: 'the same after normalising case, accents, spaces, hyphens and apostrophes',
    matches: (record, claim) =>
      record.familyName !== undefined && nameKey(record.familyName) === claim.familyKey,
  },
  {
    field: 'givenName',
    applies: 'always',
    comparison:
      'normalised, the same as the first given name or as all given names together; a middle name alone does not match',
    matches: (record, claim) => {
      const { first, all } = given(record);
      return first !== '' && (claim.givenKey === first || claim.givenKey === all);
    },
  },
  {
    field: 'postcode',
    applies: 'always',
    comparison:
      "the same postcode as the current home address, ignoring case and spaces; a previous address's does not match",
    matches: (record, claim) =>
      record.postcode !== undefined && normalisePostcode(record.postcode) === claim.postcode,
  },
  {
    field: 'nhsNumber',
    applies: 'when-claimed',
    comparison: "equal to the record's NHS number, or to a number it superseded",
    matches: (record, claim) =>
      claim.nhsNumber === undefined ||
      claim.nhsNumber === record.nhsNumber ||
      (record.previousNhsNumbers ?? []).includes(claim.nhsNumber),
  },
];

/** The fields of a record that do not match the claim (for tests and internal audit only). */
export function failedRules(record: DemographicRecord, claim: NormalisedClaim): MatchField[] {
  return MATCH_RULES.filter((rule) => !rule.matches(record, claim)).map((rule) => rule.field);
}

// ---------------------------------------------------------------------------
// Deciding

export type MatchFailure = 'no-match' | 'ambiguous' | 'deceased';

export interface DemographicMatch<R extends DemographicRecord = DemographicRecord> {
  record: R;
  /** The current NHS number: the one to bind to the account. */
  nhsNumber: string;
  /** Set when the person gave an NHS number that PDS has superseded. */
  supersededNhsNumber?: string;
}

/**
 * Candidates as a list, or as a PDS search result, which may say that there
 * were too many matches to return (that is never a match).
 */
export type Candidates<R extends DemographicRecord> =
  readonly R[] | { readonly patients: readonly R[]; readonly tooManyMatches: boolean };

/**
 * Exactly one record matching every rule is a match. None is 'no-match';
 * more than one is 'ambiguous' (we never choose between people); a single
 * match whose record says the person has died is 'deceased', which the
 * caller treats as a fraud signal. The same record found twice counts once.
 */
export function matchOne<R extends DemographicRecord>(
  candidates: Candidates<R>,
  claim: NormalisedClaim,
): Result<DemographicMatch<R>, MatchFailure> {
  const list = 'patients' in candidates ? candidates.patients : candidates;
  if ('tooManyMatches' in candidates && candidates.tooManyMatches) return err('ambiguous');
  const byNumber = new Map<string, R>();
  for (const record of list) {
    if (MATCH_RULES.every((rule) => rule.matches(record, claim))) byNumber.set(record.nhsNumber, record);
  }
  const matches = [...byNumber.values()];
  if (matches.length === 0) return err('no-match');
  if (matches.length > 1) return err('ambiguous');
  const record = matches[0]!;
  if (record.deceased) return err('deceased');
  const superseded =
    claim.nhsNumber !== undefined && claim.nhsNumber !== record.nhsNumber ? claim.nhsNumber : undefined;
  return ok({
    record,
    nhsNumber: record.nhsNumber,
    ...(superseded ? { supersededNhsNumber: superseded } : {}),
  });
}

// ---------------------------------------------------------------------------
// What the person is told

export interface PatientMessage {
  title: string;
  body: string;
}

// One message for every outcome that depends on what the national record
// holds, so that nobody can use this page to learn whether someone has a
// record, shares their details with someone else, or has died.
const NOT_MATCHED: PatientMessage = {
  title: 'We could not confirm your details',
  body:
    'Check that your name, date of birth, postcode and NHS number (if you entered one) are the same as ' +
    'your GP surgery has for you, then try again. If they are, you can prove who you are in another way.',
};

const UNAVAILABLE: PatientMessage = {
  title: 'Sorry, there is a problem with the service',
  body: 'We could not check your details just now. Try again later.',
};

/**
 * The words the person sees. No match, several matches and a deceased
 * person's record read the same; only a failure to reach PDS (which says
 * nothing about anyone's record) reads differently.
 */
export function matchFailureMessage(failure: MatchFailure | 'unavailable'): PatientMessage {
  return failure === 'unavailable' ? UNAVAILABLE : NOT_MATCHED;
}
