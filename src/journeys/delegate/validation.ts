// The forms of delegated access: inviting someone (their name, date of birth,
// email address, how the grantor knows them, what they may do and until
// when), and changing what an existing delegate may do. Messages follow the
// NHS service manual: say what to do. The domain's parsePermissions has the
// last word on which permissions can be given.
import { z } from 'zod';
import { birthDateFromParts } from '../../domain/demographics-match.js';
import { parsePermissions, type Permission } from '../../domain/delegation.js';
import { emailField, fieldErrors, text } from '../form-fields.js';
import { checkBirthDate, nameField, type DatePart } from '../prove-identity/validation.js';

export const MAX_RELATIONSHIP_LENGTH = 50;

export const DELEGATE_MESSAGES = {
  givenNameEmpty: 'Enter their first name',
  givenNameLong: 'First name must be 100 characters or fewer',
  givenNameInvalid: 'First name must only include letters, spaces, hyphens and apostrophes',
  familyNameEmpty: 'Enter their last name',
  familyNameLong: 'Last name must be 100 characters or fewer',
  familyNameInvalid: 'Last name must only include letters, spaces, hyphens and apostrophes',
  emailEmpty: 'Enter their email address',
  ownEmail: 'This is your own email address. Enter the email address of the person you want to invite',
  relationshipEmpty: 'Enter how you know them, like daughter, husband or carer',
  relationshipLong: `How you know them must be ${MAX_RELATIONSHIP_LENGTH} characters or fewer`,
  permissionsNone: 'Select what they can do for you',
  permissionsUnknown: 'Select what they can do for you from the list',
  endDateReal: 'End date must be a real date',
  endDateFuture: 'End date must be in the future',
  endDateYear: 'Year must include 4 numbers',
} as const;

const M = DELEGATE_MESSAGES;

/** The invitation form's fields, in the order they appear (and their errors are listed). */
export const INVITE_FIELDS = [
  'givenName',
  'familyName',
  'day',
  'month',
  'year',
  'email',
  'relationship',
  'endDay',
  'endMonth',
  'endYear',
] as const;

/** The change form's text fields. */
export const CHANGE_FIELDS = ['endDay', 'endMonth', 'endYear'] as const;

const relationshipField = text.transform((value, ctx) => {
  const trimmed = value.trim().replace(/\s+/gu, ' ');
  const message =
    trimmed === ''
      ? M.relationshipEmpty
      : trimmed.length > MAX_RELATIONSHIP_LENGTH
        ? M.relationshipLong
        : undefined;
  if (message) {
    ctx.addIssue({ code: 'custom', message });
    return z.NEVER;
  }
  return trimmed;
});

const inviteForm = z.object({
  givenName: nameField(M.givenNameEmpty, M.givenNameLong, M.givenNameInvalid),
  familyName: nameField(M.familyNameEmpty, M.familyNameLong, M.familyNameInvalid),
  email: emailField(M.emailEmpty),
  relationship: relationshipField,
});

/** The permissions ticked: one checkbox posts a string, several an array. */
export function chosenPermissions(body: unknown): string[] {
  const value = (body as Record<string, unknown> | undefined)?.permissions;
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return [];
}

function checkPermissions(body: unknown): { ok: true; value: Permission[] } | { ok: false; message: string } {
  const parsed = parsePermissions(chosenPermissions(body));
  if (parsed.ok) return parsed;
  return {
    ok: false,
    message: parsed.error.kind === 'none-chosen' ? M.permissionsNone : M.permissionsUnknown,
  };
}

/** YYYY-MM-DD in the UK today. */
export function ukToday(now: Date = new Date()): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London' }).format(now);
}

/**
 * The optional end date from its three boxes: undefined when all are blank,
 * else the date (after today in the UK) or the message and boxes at fault.
 */
export function checkEndDate(
  parts: { day: string; month: string; year: string },
  now: Date = new Date(),
): { ok: true; value: string | undefined } | { ok: false; message: string; parts: DatePart[] } {
  const trimmed = { day: parts.day.trim(), month: parts.month.trim(), year: parts.year.trim() };
  const all: DatePart[] = ['day', 'month', 'year'];
  const missing = all.filter((p) => trimmed[p] === '');
  if (missing.length === 3) return { ok: true, value: undefined };
  if (missing.length > 0) {
    const names = missing.join(' and ');
    return { ok: false, message: `End date must include a ${names}`, parts: missing };
  }
  if (!/^\d{4}$/.test(trimmed.year)) return { ok: false, message: M.endDateYear, parts: ['year'] };
  const iso =
    /^\d{1,2}$/.test(trimmed.day) && /^\d{1,2}$/.test(trimmed.month)
      ? birthDateFromParts(trimmed.day, trimmed.month, trimmed.year)
      : undefined;
  if (!iso) return { ok: false, message: M.endDateReal, parts: all };
  if (iso <= ukToday(now)) return { ok: false, message: M.endDateFuture, parts: all };
  return { ok: true, value: iso };
}

const endDateParts = (body: unknown) => {
  const record = (body ?? {}) as Record<string, unknown>;
  const part = (name: string) => (typeof record[name] === 'string' ? record[name] : '');
  return { day: part('endDay'), month: part('endMonth'), year: part('endYear') };
};

export interface Invitation {
  givenName: string;
  familyName: string;
  /** YYYY-MM-DD. */
  birthDate: string;
  /** Normalised (lower case). */
  email: string;
  relationship: string;
  permissions: Permission[];
  endsOn: string | undefined;
}

export type FormResult<T> =
  | { ok: true; value: T }
  | { ok: false; errors: Record<string, string>; dateParts: DatePart[]; endDateParts: DatePart[] };

/** Checks the whole invitation form at once, so every problem is listed together. */
export function parseInvitation(body: unknown, now: Date = new Date()): FormResult<Invitation> {
  const fields = inviteForm.safeParse(body ?? {});
  const record = (body ?? {}) as Record<string, unknown>;
  const part = (name: string) => (typeof record[name] === 'string' ? record[name] : '');
  const birth = checkBirthDate({ day: part('day'), month: part('month'), year: part('year') }, now);
  const permissions = checkPermissions(body);
  const end = checkEndDate(endDateParts(body), now);
  const found = fields.success ? {} : fieldErrors(fields.error);
  const errors: Record<string, string> = {};
  for (const field of ['givenName', 'familyName'] as const) if (found[field]) errors[field] = found[field];
  if (!birth.ok)
    errors.birthdate = birth.message.replace('Enter your date of birth', 'Enter their date of birth');
  if (found.email) errors.email = found.email;
  if (found.relationship) errors.relationship = found.relationship;
  if (!permissions.ok) errors.permissions = permissions.message;
  if (!end.ok) errors.endDate = end.message;
  if (!fields.success || !birth.ok || !permissions.ok || !end.ok)
    return {
      ok: false,
      errors,
      dateParts: birth.ok ? [] : birth.parts,
      endDateParts: end.ok ? [] : end.parts,
    };
  return {
    ok: true,
    value: { ...fields.data, birthDate: birth.value, permissions: permissions.value, endsOn: end.value },
  };
}

/** Checks the change form: the permissions (at least one) and the optional end date. */
export function parseChange(
  body: unknown,
  now: Date = new Date(),
): FormResult<{ permissions: Permission[]; endsOn: string | undefined }> {
  const permissions = checkPermissions(body);
  const end = checkEndDate(endDateParts(body), now);
  if (permissions.ok && end.ok)
    return { ok: true, value: { permissions: permissions.value, endsOn: end.value } };
  const errors: Record<string, string> = {};
  if (!permissions.ok) errors.permissions = permissions.message;
  if (!end.ok) errors.endDate = end.message;
  return { ok: false, errors, dateParts: [], endDateParts: end.ok ? [] : end.parts };
}
