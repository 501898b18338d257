// The forms of proving who you are with photo ID (photo-id.ts): which
// document, the details typed from it (the machine readable zone's lines, or
// a driving licence's printed fields), and the last page's "a person should
// check it" choice. Uploads are checked by the document-check adapters
// (image.ts, video.ts); this file turns their rejections into page words too.
// Messages follow the NHS service manual: say what to do.
import { z } from 'zod';
import {
  checkLicenceNumber,
  licenceEvidence,
  type TypedLicenceDetails,
} from '../../adapters/document-check/driving-licence.js';
import { describeMrzError, mrzEvidence, parseMrz } from '../../adapters/document-check/mrz.js';
import { birthDateFromParts } from '../../domain/demographics-match.js';
import {
  ACCEPTED_DOCUMENTS,
  documentRejection,
  EUROPEAN_STATES,
  type DocumentEvidence,
  type DocumentKind,
} from '../../domain/photo-id.js';
import { fieldErrors, text } from '../form-fields.js';
import { checkBirthDate, DETAILS_MESSAGES, nameField, type DatePart } from './validation.js';

export const PHOTO_ID_MESSAGES = {
  documentEmpty: 'Select the photo ID you will use',
  photoEmpty: 'Select a photo of your ID',
  videoEmpty: 'Select a video of yourself saying the 4 numbers',
  mrzNotThisKind: 'The lines you entered are not from the kind of ID you chose. Check you chose the right ID',
  givenNamesEmpty: 'Enter your first names as they are on your licence',
  expiryEmpty: 'Enter the expiry date from your licence (4b)',
  expiryReal: 'Expiry date must be a real date',
  licenceNumberEmpty: 'Enter your driving licence number (5)',
  licenceNumberInvalid:
    'Check your driving licence number (5): it does not match the name and date of birth you entered',
  issuingStateEmpty: 'Select the country that issued your licence',
} as const;

const P = PHOTO_ID_MESSAGES;
const M = DETAILS_MESSAGES;

/** The document kinds, in the order the choice page lists them. */
export const DOCUMENT_KINDS = Object.keys(ACCEPTED_DOCUMENTS) as DocumentKind[];

export const isDocumentKind = (value: unknown): value is DocumentKind =>
  typeof value === 'string' && (DOCUMENT_KINDS as string[]).includes(value);

/** Whether the person types the machine readable zone (true) or a licence's fields (false). */
export const hasZone = (kind: DocumentKind): boolean => ACCEPTED_DOCUMENTS[kind].mrz !== undefined;

export function parseDocumentChoice(
  body: unknown,
): { ok: true; value: DocumentKind } | { ok: false; errors: Record<string, string> } {
  const value = (body as { document?: unknown } | undefined)?.document;
  return isDocumentKind(value) ? { ok: true, value } : { ok: false, errors: { document: P.documentEmpty } };
}

/** Countries whose driving licences are accepted, for the select: UK first. */
const STATE_NAMES: Record<string, string> = {
  GBR: 'United Kingdom',
  AUT: 'Austria',
  BEL: 'Belgium',
  BGR: 'Bulgaria',
  HRV: 'Croatia',
  CYP: 'Cyprus',
  CZE: 'Czechia',
  D: 'Germany',
  DNK: 'Denmark',
  EST: 'Estonia',
  FIN: 'Finland',
  FRA: 'France',
  GRC: 'Greece',
  HUN: 'Hungary',
  IRL: 'Ireland',
  ITA: 'Italy',
  LVA: 'Latvia',
  LTU: 'Lithuania',
  LUX: 'Luxembourg',
  MLT: 'Malta',
  NLD: 'Netherlands',
  POL: 'Poland',
  PRT: 'Portugal',
  ROU: 'Romania',
  SVK: 'Slovakia',
  SVN: 'Slovenia',
  ESP: 'Spain',
  SWE: 'Sweden',
  ISL: 'Iceland',
  LIE: 'Liechtenstein',
  NOR: 'Norway',
  CHE: 'Switzerland',
};

export const LICENCE_STATES: { code: string; name: string }[] = ['GBR', ...EUROPEAN_STATES].map((code) => ({
  code,
  name: STATE_NAMES[code] ?? code,
}));

export const MRZ_FIELDS = ['mrz'] as const;
export const LICENCE_FIELDS = [
  'givenNames',
  'familyName',
  'day',
  'month',
  'year',
  'expiryDay',
  'expiryMonth',
  'expiryYear',
  'licenceNumber',
  'issuingState',
] as const;

export type DetailsParse =
  | { ok: true; evidence: DocumentEvidence }
  | { ok: false; errors: Record<string, string>; dateParts: DatePart[]; expiryParts: DatePart[] };

/** The UK date today, YYYY-MM-DD (documents expire on UK dates). */
export function ukToday(now: Date = new Date()): string {
  return new Intl.DateTimeFormat('en-CA', {
    timeZone: 'Europe/London',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(now);
}

/** The zone's lines, checked: check digits, fields, and that it is the kind of document chosen. */
export function parseZoneDetails(kind: DocumentKind, body: unknown, today: string): DetailsParse {
  const typedZone = (body as { mrz?: unknown } | undefined)?.mrz;
  const reading = parseMrz(typeof typedZone === 'string' ? typedZone : '', { today });
  if (!reading.ok) {
    return {
      ok: false,
      errors: { mrz: describeMrzError(reading.error).join('. ') },
      dateParts: [],
      expiryParts: [],
    };
  }
  const evidence = mrzEvidence(kind, reading.value, 'typed-by-person');
  // A zone of another kind of document is a mistake to fix here; an issuer
  // not accepted (a Syrian passport) is the decision's to explain.
  const rule = ACCEPTED_DOCUMENTS[kind].mrz;
  const otherKind =
    rule !== undefined &&
    (!rule.formats.includes(reading.value.format) || !rule.documentCode.test(reading.value.documentCode));
  if (otherKind || documentRejection(evidence.identity) === 'not-this-kind') {
    return { ok: false, errors: { mrz: P.mrzNotThisKind }, dateParts: [], expiryParts: [] };
  }
  return { ok: true, evidence };
}

const licenceForm = z.object({
  givenNames: nameField(P.givenNamesEmpty, M.givenNameLong, M.givenNameInvalid),
  familyName: nameField(M.familyNameEmpty, M.familyNameLong, M.familyNameInvalid),
  licenceNumber: text.pipe(
    z
      .string()
      .trim()
      .min(1, P.licenceNumberEmpty)
      .max(40, P.licenceNumberInvalid)
      .regex(/^[A-Za-z0-9 ]+$/u, P.licenceNumberInvalid),
  ),
  issuingState: text.pipe(
    z.string().refine((code) => LICENCE_STATES.some((s) => s.code === code), P.issuingStateEmpty),
  ),
});

function checkExpiry(parts: {
  day: string;
  month: string;
  year: string;
}): { ok: true; value: string } | { ok: false; message: string; parts: DatePart[] } {
  const all: DatePart[] = ['day', 'month', 'year'];
  const missing = all.filter((p) => parts[p].trim() === '');
  if (missing.length > 0) return { ok: false, message: P.expiryEmpty, parts: missing };
  const iso = birthDateFromParts(parts.day, parts.month, parts.year);
  return iso ? { ok: true, value: iso } : { ok: false, message: P.expiryReal, parts: all };
}

/** A driving licence's printed fields; a GB licence number is checked against the name and date of birth. */
export function parseLicenceDetails(body: unknown, now: Date = new Date()): DetailsParse {
  const record = (body ?? {}) as Record<string, unknown>;
  const str = (key: string): string => {
    const value = record[key];
    return typeof value === 'string' ? value : '';
  };
  const fields = licenceForm.safeParse(record);
  const birth = checkBirthDate({ day: str('day'), month: str('month'), year: str('year') }, now);
  const expiry = checkExpiry({ day: str('expiryDay'), month: str('expiryMonth'), year: str('expiryYear') });
  const found = fields.success ? {} : fieldErrors(fields.error);
  const errors: Record<string, string> = {};
  for (const field of ['givenNames', 'familyName'] as const) if (found[field]) errors[field] = found[field];
  if (!birth.ok) errors.birthdate = birth.message;
  if (!expiry.ok) errors.expiry = expiry.message;
  if (found.licenceNumber) errors.licenceNumber = found.licenceNumber;
  if (found.issuingState) errors.issuingState = found.issuingState;
  const dateParts = birth.ok ? [] : birth.parts;
  const expiryParts = expiry.ok ? [] : expiry.parts;
  if (!fields.success || !birth.ok || !expiry.ok) return { ok: false, errors, dateParts, expiryParts };

  const details: TypedLicenceDetails = {
    familyName: fields.data.familyName,
    givenNames: fields.data.givenNames.split(' '),
    birthDate: birth.value,
    expiryDate: expiry.value,
    licenceNumber: fields.data.licenceNumber,
    issuingState: fields.data.issuingState,
  };
  // A Great Britain number is built from the name and date of birth: a
  // mismatch is nearly always a typing mistake, so it is said here.
  if (details.issuingState === 'GBR') {
    const check = checkLicenceNumber(details);
    if (check.kind === 'unrecognised' || (check.kind === 'gb' && check.problems.length > 0)) {
      return { ok: false, errors: { licenceNumber: P.licenceNumberInvalid }, dateParts: [], expiryParts: [] };
    }
  }
  return { ok: true, evidence: licenceEvidence(details) };
}

/** The last page: "I want a person to check my photo ID instead". */
export function parseReviewChoice(body: unknown): boolean {
  const value = (body as { askForReview?: unknown } | undefined)?.askForReview;
  return value === 'yes' || (Array.isArray(value) && value.includes('yes'));
}
