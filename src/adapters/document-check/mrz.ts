// The machine readable zone (ICAO 9303) of passports (TD3: two lines of 44),
// identity cards and residence permits (TD1: three lines of 30; TD2 and the
// older French identity card: two lines of 36), parsed by the `mrz` package
// and turned into the document details the domain compares with PDS.
//
// The zone is typed or pasted by the person in this build (see port.ts: no
// OCR runs offline here), so the input is forgiving about what people do when
// typing (lower case, spaces, a paste with no line breaks, « for <<) and strict
// about everything else: a wrong check digit is an error naming the digit, so
// the page can say which line to check. Dates in the zone have two-digit
// years; the century is worked out against today.
//
// Errors are values: nothing a person types makes this throw.
import { parse as parseZone, type Details, type FieldName, type ParseResult } from 'mrz';

import {
  SPECIMEN_STATE,
  type DocumentEvidence,
  type DocumentKind,
  type MrzFormat,
} from '../../domain/photo-id.js';
import { err, ok, type Result } from '../../domain/result.js';

/** A zone with its check digits right, read into the parts the checks use. */
export interface MrzReading {
  readonly format: MrzFormat;
  /** The zone's lines, cleaned: upper case, no spaces. */
  readonly lines: readonly string[];
  /** P (passport), PM, I, ID, IR (UK residence permit)... */
  readonly documentCode: string;
  /** ICAO code of the issuing state (GBR, D for Germany, UTO for ICAO's specimens). */
  readonly issuingState: string;
  /** As on the document (a long TD1 number continues into the optional data). */
  readonly documentNumber: string;
  readonly nationality?: string;
  /** As in the zone, fillers as spaces: ERIKSSON, VAN DER BERG. */
  readonly familyName: string;
  readonly givenNames: readonly string[];
  /** The name field is full to its last character, so the name may have been cut short. */
  readonly namesMayBeTruncated: boolean;
  /** YYYY-MM-DD; undefined when the document shows an unknown day or month (<<). */
  readonly birthDate?: string;
  /** YYYY-MM-DD; undefined when the zone has no expiry date (the older French identity card). */
  readonly expiryDate?: string;
  readonly sex: 'male' | 'female' | 'unspecified';
}

export type MrzCheckDigit = 'documentNumber' | 'birthDate' | 'expiryDate' | 'personalNumber' | 'composite';
export type MrzField =
  | 'documentCode'
  | 'issuingState'
  | 'documentNumber'
  | 'nationality'
  | 'birthDate'
  | 'expiryDate'
  | 'sex'
  | 'names'
  | 'optionalData';

export type MrzProblem =
  /** A check digit does not match the characters it protects: a typing (or reading) mistake, or a forgery. */
  | { readonly kind: 'check-digit'; readonly digit: MrzCheckDigit; readonly line: number }
  /** A field that cannot be what it claims (a 13th month, an unknown country, a digit in a name). */
  | { readonly kind: 'invalid-field'; readonly field: MrzField; readonly line: number };

export type MrzUnreadable =
  | 'empty'
  /** Characters other than A-Z, 0-9 and <. */
  | 'characters'
  /** Not 3 lines of 30, 2 of 36 or 2 of 44. */
  | 'layout';

export type MrzError =
  | { readonly code: 'unreadable'; readonly reason: MrzUnreadable }
  | { readonly code: 'invalid'; readonly problems: readonly MrzProblem[] };

/** The ICAO 9303 check digit: weights 7, 3, 1 over the characters (< is 0, A is 10 ... Z is 35), modulo 10. */
export function mrzCheckDigit(characters: string): number {
  const weights = [7, 3, 1] as const;
  let sum = 0;
  for (let i = 0; i < characters.length; i++) {
    const c = characters.charCodeAt(i);
    const value = c === 60 ? 0 : c >= 65 ? c - 55 : c - 48;
    if (value < 0 || value > 35) throw new RangeError(`not a zone character: ${characters[i]}`);
    sum += value * weights[i % 3]!;
  }
  return sum % 10;
}

const LAYOUTS: Record<number, number> = { 30: 3, 36: 2, 44: 2 };

/**
 * The zone's lines from what a person typed or pasted: line breaks kept,
 * spaces dropped, upper case, « and ‹ (how chevrons often paste) as <. A paste
 * with its line breaks lost (88 characters for a passport) is split again.
 */
export function zoneLines(input: string | readonly string[]): Result<string[], MrzUnreadable> {
  const text = (typeof input === 'string' ? input : input.join('\n'))
    .normalize('NFKC')
    .toUpperCase()
    .replace(/«/gu, '<<')
    .replace(/‹/gu, '<');
  let lines = text
    .split(/\r\n|\r|\n/u)
    .map((line) => line.replace(/[ \t\u00a0]/gu, ''))
    .filter((line) => line !== '');
  if (lines.length === 0) return err('empty');
  if (lines.some((line) => !/^[A-Z0-9<]+$/u.test(line))) return err('characters');
  if (lines.length === 1) {
    const [joined] = lines as [string];
    const width = [44, 36, 30].find((w) => joined.length === w * (LAYOUTS[w] ?? 0));
    if (width) lines = joined.match(new RegExp(`.{${width}}`, 'gu')) ?? lines;
  }
  const width = lines[0]!.length;
  if (LAYOUTS[width] !== lines.length || lines.some((line) => line.length !== width)) return err('layout');
  return ok(lines);
}

const CHECK_DIGITS: Partial<Record<FieldName, MrzCheckDigit>> = {
  documentNumberCheckDigit: 'documentNumber',
  birthDateCheckDigit: 'birthDate',
  expirationDateCheckDigit: 'expiryDate',
  personalNumberCheckDigit: 'personalNumber',
  compositeCheckDigit: 'composite',
};

const FIELDS: Partial<Record<FieldName, MrzField>> = {
  documentCode: 'documentCode',
  issuingState: 'issuingState',
  documentNumber: 'documentNumber',
  nationality: 'nationality',
  birthDate: 'birthDate',
  expirationDate: 'expiryDate',
  sex: 'sex',
  lastName: 'names',
  firstName: 'names',
};

const raw = (detail: Details): string => (detail.ranges[0] as { raw?: string } | undefined)?.raw ?? '';

/** The mrz package knows every ICAO state code except its specimen state, Utopia. */
const isSpecimenState = (detail: Details): boolean =>
  (detail.field === 'issuingState' || detail.field === 'nationality') &&
  raw(detail).replace(/</gu, '') === SPECIMEN_STATE;

function problemsOf(result: ParseResult): MrzProblem[] {
  const problems: MrzProblem[] = [];
  for (const detail of result.details) {
    if (detail.valid || !detail.field || isSpecimenState(detail)) continue;
    const digit = CHECK_DIGITS[detail.field];
    if (digit) problems.push({ kind: 'check-digit', digit, line: detail.line + 1 });
    else
      problems.push({
        kind: 'invalid-field',
        field: FIELDS[detail.field] ?? 'optionalData',
        line: detail.line + 1,
      });
  }
  return problems;
}

function calendarDate(year: number, month: number, day: number): string | undefined {
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return undefined;
  return date.toISOString().slice(0, 10);
}

type ZoneDate = { date: string } | { unknown: true } | { invalid: true };

/**
 * A zone date (YYMMDD) in full. Birth dates are in the past: the latest
 * century that does not put them after today (so a centenarian's 1925 reads
 * as 2025 until the domain compares it with PDS, which flags the century).
 * Expiry dates are within 50 years of today either way.
 */
function zoneDate(yymmdd: string, kind: 'birth' | 'expiry', today: string): ZoneDate {
  if (/<</u.test(yymmdd)) return { unknown: true };
  if (!/^\d{6}$/u.test(yymmdd)) return { invalid: true };
  const yy = Number(yymmdd.slice(0, 2));
  const month = Number(yymmdd.slice(2, 4));
  const day = Number(yymmdd.slice(4, 6));
  const thisYear = Number(today.slice(0, 4));
  let year = 2000 + yy;
  if (kind === 'expiry' && year > thisYear + 50) year -= 100;
  const candidate = calendarDate(year, month, day);
  if (!candidate) return { invalid: true };
  if (kind === 'birth' && candidate > today)
    return { date: calendarDate(year - 100, month, day) ?? candidate };
  return { date: candidate };
}

/** Where the name field of each layout ends (its last character is a filler unless the name was cut). */
const NAME_FIELD_END: Record<MrzFormat, { line: number; index: number } | undefined> = {
  TD3: { line: 0, index: 43 },
  TD2: { line: 0, index: 35 },
  TD1: { line: 2, index: 29 },
  FRENCH_NATIONAL_ID: undefined,
};

export interface ParseMrzOptions {
  /** YYYY-MM-DD, to give two-digit years their century. */
  today: string;
}

/**
 * Parses a typed or read zone: every check digit and field must be valid.
 * ICAO's own examples (issued by Utopia, UTO) parse; the domain refuses them
 * as documents.
 */
export function parseMrz(
  input: string | readonly string[],
  options: ParseMrzOptions,
): Result<MrzReading, MrzError> {
  const lines = zoneLines(input);
  if (!lines.ok) return err({ code: 'unreadable', reason: lines.error });

  let result: ParseResult;
  try {
    result = parseZone(lines.value);
  } catch {
    return err({ code: 'unreadable', reason: 'layout' });
  }
  const format = result.format;
  if (format !== 'TD1' && format !== 'TD2' && format !== 'TD3' && format !== 'FRENCH_NATIONAL_ID') {
    return err({ code: 'unreadable', reason: 'layout' });
  }

  const problems = problemsOf(result);
  const rawOf = (field: FieldName): string => {
    const detail = result.details.find((d) => d.field === field);
    return detail ? raw(detail) : '';
  };
  const lineOf = (field: FieldName): number => (result.details.find((d) => d.field === field)?.line ?? 0) + 1;

  const birth = zoneDate(rawOf('birthDate'), 'birth', options.today);
  if ('invalid' in birth && !problems.some((p) => p.kind === 'invalid-field' && p.field === 'birthDate')) {
    problems.push({ kind: 'invalid-field', field: 'birthDate', line: lineOf('birthDate') });
  }
  const hasExpiry = result.details.some((d) => d.field === 'expirationDate');
  const expiry = hasExpiry
    ? zoneDate(rawOf('expirationDate'), 'expiry', options.today)
    : { unknown: true as const };
  if ('invalid' in expiry && !problems.some((p) => p.kind === 'invalid-field' && p.field === 'expiryDate')) {
    problems.push({ kind: 'invalid-field', field: 'expiryDate', line: lineOf('expirationDate') });
  }
  if (problems.length > 0) return err({ code: 'invalid', problems });

  const { fields } = result;
  const state = (field: 'issuingState' | 'nationality'): string | undefined =>
    fields[field] ?? (rawOf(field).replace(/</gu, '') || undefined);
  const nameEnd = NAME_FIELD_END[format];
  const sex = fields.sex === 'male' || fields.sex === 'female' ? fields.sex : 'unspecified';
  const nationality = state('nationality');

  return ok({
    format,
    lines: lines.value,
    documentCode: fields.documentCode ?? '',
    issuingState: state('issuingState') ?? '',
    documentNumber: result.documentNumber ?? fields.documentNumber ?? '',
    ...(nationality ? { nationality } : {}),
    familyName: (fields.lastName ?? '').trim(),
    givenNames: (fields.firstName ?? '').split(/\s+/u).filter((name) => name !== ''),
    namesMayBeTruncated: nameEnd ? lines.value[nameEnd.line]?.[nameEnd.index] !== '<' : false,
    ...('date' in birth ? { birthDate: birth.date } : {}),
    ...('date' in expiry ? { expiryDate: expiry.date } : {}),
    sex,
  });
}

/**
 * The evidence for the domain from a zone with valid check digits: its
 * identity (so the domain can check it is the kind of document chosen), the
 * details to compare with PDS, and who read it.
 */
export function mrzEvidence(
  kind: DocumentKind,
  reading: MrzReading,
  source: DocumentEvidence['source'],
): DocumentEvidence {
  return {
    identity: {
      kind,
      issuingState: reading.issuingState,
      mrz: { format: reading.format, documentCode: reading.documentCode },
    },
    details: {
      familyName: reading.familyName,
      givenNames: reading.givenNames,
      ...(reading.birthDate ? { birthDate: reading.birthDate } : {}),
      ...(reading.expiryDate ? { expiryDate: reading.expiryDate } : {}),
      documentNumber: reading.documentNumber,
      issuingState: reading.issuingState,
      namesMayBeTruncated: reading.namesMayBeTruncated,
    },
    source,
    integrity: { valid: true },
  };
}

/** Words for the page, one per problem: which line to check, never a character position. */
export function describeMrzError(error: MrzError): string[] {
  if (error.code === 'unreadable') {
    const words: Record<MrzUnreadable, string> = {
      empty: 'Enter the lines of letters, numbers and < symbols from the bottom of your ID',
      characters: 'The lines can only contain letters, numbers and the < symbol',
      layout:
        'Enter all the lines exactly as they appear: 2 lines of 44 characters on a passport, or 3 lines of 30 on an identity card or residence permit',
    };
    return [words[error.reason]];
  }
  return [
    ...new Set(error.problems.map((problem) => `Check line ${problem.line}: it does not match your ID`)),
  ];
}
