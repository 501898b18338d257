// The details form of proving identity to P5: NHS number (optional), first
// and last name, date of birth (the NHS date input: day, month, year) and
// postcode. Messages follow the NHS service manual: say what to do. The
// domain's normaliseClaim has the last word on what can be compared.
import { z } from 'zod';
import {
  birthDateFromParts,
  normaliseClaim,
  normalisePostcode,
  type NormalisedClaim,
} from '../../domain/demographics-match.js';
import { normaliseNhsNumber } from '../../domain/nhs-number.js';
import { fieldErrors, text } from '../form-fields.js';

/** The form's fields, in the order they appear (and their errors are listed). */
export const DETAILS_FIELDS = [
  'nhsNumber',
  'givenName',
  'familyName',
  'day',
  'month',
  'year',
  'postcode',
] as const;

export type DatePart = 'day' | 'month' | 'year';

export const DETAILS_MESSAGES = {
  nhsNumberLength: 'NHS number must be 10 digits',
  nhsNumberInvalid: 'Enter a valid NHS number, or leave it blank if you do not know it',
  givenNameEmpty: 'Enter your first name',
  givenNameLong: 'First name must be 100 characters or fewer',
  givenNameInvalid: 'First name must only include letters, spaces, hyphens and apostrophes',
  familyNameEmpty: 'Enter your last name',
  familyNameLong: 'Last name must be 100 characters or fewer',
  familyNameInvalid: 'Last name must only include letters, spaces, hyphens and apostrophes',
  birthDateEmpty: 'Enter your date of birth',
  birthDateReal: 'Date of birth must be a real date',
  birthDatePast: 'Date of birth must be in the past',
  birthDateYear: 'Year must include 4 numbers',
  postcodeEmpty: 'Enter your postcode',
  postcodeInvalid: 'Enter a full UK postcode, like LS1 4AP',
} as const;

const M = DETAILS_MESSAGES;
const MAX_NAME_LENGTH = 100;
// As the domain's rule: letters (with accents) and the separators people type in names.
const NAME_CHARACTERS = /^[\p{L}\p{M}\s\-\u2010-\u2015\u2212'\u2018\u2019\u02BC`\u00B4.]+$/u;
const EARLIEST_YEAR = 1900;

const nhsNumberField = text.transform((value, ctx): string | undefined => {
  const trimmed = value.trim();
  if (trimmed === '') return undefined;
  if (!/^\d{10}$/.test(trimmed.replace(/[\s-]/g, ''))) {
    ctx.addIssue({ code: 'custom', message: M.nhsNumberLength });
    return z.NEVER;
  }
  const nhsNumber = normaliseNhsNumber(trimmed);
  if (!nhsNumber) {
    ctx.addIssue({ code: 'custom', message: M.nhsNumberInvalid });
    return z.NEVER;
  }
  return nhsNumber;
});

export const nameField = (empty: string, long: string, invalid: string) =>
  text.transform((value, ctx) => {
    const trimmed = value.trim();
    const message =
      trimmed === ''
        ? empty
        : trimmed.length > MAX_NAME_LENGTH
          ? long
          : !NAME_CHARACTERS.test(trimmed) || !/\p{L}/u.test(trimmed)
            ? invalid
            : undefined;
    if (message) {
      ctx.addIssue({ code: 'custom', message });
      return z.NEVER;
    }
    return trimmed.replace(/\s+/gu, ' ');
  });

const postcodeField = text.transform((value, ctx) => {
  if (value.trim() === '') {
    ctx.addIssue({ code: 'custom', message: M.postcodeEmpty });
    return z.NEVER;
  }
  const postcode = normalisePostcode(value);
  if (!postcode) {
    ctx.addIssue({ code: 'custom', message: M.postcodeInvalid });
    return z.NEVER;
  }
  return postcode;
});

export const detailsForm = z.object({
  nhsNumber: nhsNumberField,
  givenName: nameField(M.givenNameEmpty, M.givenNameLong, M.givenNameInvalid),
  familyName: nameField(M.familyNameEmpty, M.familyNameLong, M.familyNameInvalid),
  postcode: postcodeField,
});

export const birthDateForm = z.object({ day: text, month: text, year: text });

const PART_NAMES: Record<DatePart, string> = { day: 'a day', month: 'a month', year: 'a year' };

/** The date of birth from its three boxes, or the message and the boxes to highlight. */
export function checkBirthDate(
  parts: { day: string; month: string; year: string },
  today: Date = new Date(),
): { ok: true; value: string } | { ok: false; message: string; parts: DatePart[] } {
  const trimmed = { day: parts.day.trim(), month: parts.month.trim(), year: parts.year.trim() };
  const all: DatePart[] = ['day', 'month', 'year'];
  const missing = all.filter((p) => trimmed[p] === '');
  if (missing.length === 3) return { ok: false, message: M.birthDateEmpty, parts: all };
  if (missing.length > 0) {
    const names = missing.map((p) => PART_NAMES[p]);
    const list = names.length === 2 ? `${names[0]} and ${names[1]?.replace(/^a /, '')}` : names[0];
    return { ok: false, message: `Date of birth must include ${list}`, parts: missing };
  }
  const wrong: DatePart[] = [];
  const day = /^\d{1,2}$/.test(trimmed.day) ? Number(trimmed.day) : NaN;
  const month = /^\d{1,2}$/.test(trimmed.month) ? Number(trimmed.month) : NaN;
  if (!(day >= 1 && day <= 31)) wrong.push('day');
  if (!(month >= 1 && month <= 12)) wrong.push('month');
  if (!/^\d{4}$/.test(trimmed.year)) {
    return wrong.length > 0
      ? { ok: false, message: M.birthDateReal, parts: [...wrong, 'year'] }
      : { ok: false, message: M.birthDateYear, parts: ['year'] };
  }
  if (wrong.length > 0) return { ok: false, message: M.birthDateReal, parts: wrong };
  const iso = birthDateFromParts(trimmed.day, trimmed.month, trimmed.year);
  if (!iso || Number(trimmed.year) < EARLIEST_YEAR)
    return { ok: false, message: M.birthDateReal, parts: all };
  const todayIso = today.toISOString().slice(0, 10);
  if (iso > todayIso) return { ok: false, message: M.birthDatePast, parts: all };
  return { ok: true, value: iso };
}

export interface Details {
  /** The 10 digits, when given. */
  nhsNumber?: string;
  /** As typed, trimmed (what is sent to PDS). */
  givenName: string;
  familyName: string;
  /** YYYY-MM-DD. */
  birthDate: string;
  /** Upper case, no spaces. */
  postcode: string;
  /** Comparison keys for the matching rules. */
  claim: NormalisedClaim;
}

export type DetailsResult =
  { ok: true; value: Details } | { ok: false; errors: Record<string, string>; dateParts: DatePart[] };

/** Checks the whole form at once, so every problem is listed together. */
export function parseDetails(body: unknown, today: Date = new Date()): DetailsResult {
  const fields = detailsForm.safeParse(body ?? {});
  const date = birthDateForm.safeParse(body ?? {});
  const birth = date.success ? checkBirthDate(date.data, today) : undefined;
  const found = fields.success ? {} : fieldErrors(fields.error);
  const errors: Record<string, string> = {};
  for (const field of ['nhsNumber', 'givenName', 'familyName'] as const) {
    if (found[field]) errors[field] = found[field];
  }
  if (!birth?.ok) errors.birthdate = birth?.message ?? M.birthDateEmpty;
  if (found.postcode) errors.postcode = found.postcode;
  const dateParts = birth && !birth.ok ? birth.parts : [];
  if (!fields.success || !birth?.ok) return { ok: false, errors, dateParts };
  const claim = normaliseClaim({
    nhsNumber: fields.data.nhsNumber,
    givenName: fields.data.givenName,
    familyName: fields.data.familyName,
    birthDate: birth.value,
    postcode: fields.data.postcode,
  });
  if (!claim.ok) {
    // The domain refused what the form let through: say so on the field, never a 500.
    const problems = claim.error;
    const out: Record<string, string> = {};
    if (problems.nhsNumber) out.nhsNumber = M.nhsNumberInvalid;
    if (problems.givenName) out.givenName = M.givenNameInvalid;
    if (problems.familyName) out.familyName = M.familyNameInvalid;
    if (problems.birthDate) out.birthdate = M.birthDateReal;
    if (problems.postcode) out.postcode = M.postcodeInvalid;
    return { ok: false, errors: out, dateParts: problems.birthDate ? ['day', 'month', 'year'] : [] };
  }
  return {
    ok: true,
    value: {
      ...(fields.data.nhsNumber ? { nhsNumber: fields.data.nhsNumber } : {}),
      givenName: fields.data.givenName,
      familyName: fields.data.familyName,
      birthDate: birth.value,
      postcode: fields.data.postcode,
      claim: claim.value,
    },
  };
}

// ---------------------------------------------------------------------------
// GP online services details (P9 route 2): the three details on the letter
// from the GP surgery, and the surname and date of birth the GP system
// checks them with (as IM1 linking does).

export const GP_DETAILS_FIELDS = [
  'accountId',
  'linkageKey',
  'odsCode',
  'familyName',
  'day',
  'month',
  'year',
] as const;

export const GP_DETAILS_MESSAGES = {
  accountIdEmpty: 'Enter your Account ID',
  accountIdInvalid: 'Enter the Account ID as it is on your letter from your GP surgery',
  linkageKeyEmpty: 'Enter your Linkage Key',
  linkageKeyInvalid: 'Enter the Linkage Key as it is on your letter from your GP surgery',
  odsCodeEmpty: 'Enter your GP surgery’s practice code (ODS code)',
  odsCodeInvalid: 'Enter the practice code (ODS code) as it is on your letter, like A12345',
} as const;

const G = GP_DETAILS_MESSAGES;

/** Letters and digits, as printed (spaces people copy in groups are removed). */
const letterField = (empty: string, invalid: string, pattern: RegExp, upper = false) =>
  text.transform((value, ctx) => {
    const compact = value.replace(/\s+/gu, '');
    const tidy = upper ? compact.toUpperCase() : compact;
    const message = compact === '' ? empty : !pattern.test(tidy) ? invalid : undefined;
    if (message) {
      ctx.addIssue({ code: 'custom', message });
      return z.NEVER;
    }
    return tidy;
  });

export const gpDetailsForm = z.object({
  accountId: letterField(G.accountIdEmpty, G.accountIdInvalid, /^[A-Za-z0-9]{1,30}$/),
  // Case matters in a Linkage Key: kept as typed.
  linkageKey: letterField(G.linkageKeyEmpty, G.linkageKeyInvalid, /^[A-Za-z0-9]{4,40}$/),
  odsCode: letterField(G.odsCodeEmpty, G.odsCodeInvalid, /^[A-Z0-9]{3,10}$/, true),
  familyName: nameField(M.familyNameEmpty, M.familyNameLong, M.familyNameInvalid),
});

export interface GpDetails {
  accountId: string;
  linkageKey: string;
  /** Upper case. */
  odsCode: string;
  /** As typed, trimmed. */
  familyName: string;
  /** YYYY-MM-DD. */
  birthDate: string;
}

export type GpDetailsResult =
  { ok: true; value: GpDetails } | { ok: false; errors: Record<string, string>; dateParts: DatePart[] };

/** Checks the whole GP details form at once, so every problem is listed together. */
export function parseGpDetails(body: unknown, today: Date = new Date()): GpDetailsResult {
  const fields = gpDetailsForm.safeParse(body ?? {});
  const date = birthDateForm.safeParse(body ?? {});
  const birth = date.success ? checkBirthDate(date.data, today) : undefined;
  const found = fields.success ? {} : fieldErrors(fields.error);
  const errors: Record<string, string> = {};
  for (const field of ['accountId', 'linkageKey', 'odsCode', 'familyName'] as const) {
    if (found[field]) errors[field] = found[field];
  }
  if (!birth?.ok) errors.birthdate = birth?.message ?? M.birthDateEmpty;
  const dateParts = birth && !birth.ok ? birth.parts : [];
  if (!fields.success || !birth?.ok) return { ok: false, errors, dateParts };
  return { ok: true, value: { ...fields.data, birthDate: birth.value } };
}
