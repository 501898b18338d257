// The claim journey's forms: the security code (shared), the demographics
// re-check (date of birth in three boxes and postcode, as proving identity
// asks them) and the new password (as registration asks it).
import { z } from 'zod';
import { normalisePostcode } from '../../domain/demographics-match.js';
import { fieldErrors, text } from '../form-fields.js';
import {
  birthDateForm,
  checkBirthDate,
  DETAILS_MESSAGES,
  type DatePart,
} from '../prove-identity/validation.js';

export { codeForm, fieldErrors, typed } from '../form-fields.js';
export { PASSWORD_CONFIRM_MESSAGES, passwordForm } from '../register/validation.js';

/** The re-check form's fields, in the order they appear. */
export const CHECK_FIELDS = ['day', 'month', 'year', 'postcode'] as const;

const postcodeField = text.transform((value, ctx) => {
  if (value.trim() === '') {
    ctx.addIssue({ code: 'custom', message: DETAILS_MESSAGES.postcodeEmpty });
    return z.NEVER;
  }
  const postcode = normalisePostcode(value);
  if (!postcode) {
    ctx.addIssue({ code: 'custom', message: DETAILS_MESSAGES.postcodeInvalid });
    return z.NEVER;
  }
  return postcode;
});

const postcodeForm = z.object({ postcode: postcodeField });

export interface CheckDetails {
  /** YYYY-MM-DD. */
  birthDate: string;
  /** Upper case, no spaces. */
  postcode: string;
}

export type CheckResult =
  { ok: true; value: CheckDetails } | { ok: false; errors: Record<string, string>; dateParts: DatePart[] };

/** Checks the whole form at once, so every problem is listed together. */
export function parseCheck(body: unknown, today: Date = new Date()): CheckResult {
  const date = birthDateForm.safeParse(body ?? {});
  const birth = date.success ? checkBirthDate(date.data, today) : undefined;
  const postcode = postcodeForm.safeParse(body ?? {});
  const errors: Record<string, string> = {};
  if (!birth?.ok) errors.birthdate = birth?.message ?? DETAILS_MESSAGES.birthDateEmpty;
  if (!postcode.success)
    errors.postcode = fieldErrors(postcode.error).postcode ?? DETAILS_MESSAGES.postcodeEmpty;
  if (!birth?.ok || !postcode.success)
    return { ok: false, errors, dateParts: birth && !birth.ok ? birth.parts : [] };
  return { ok: true, value: { birthDate: birth.value, postcode: postcode.data.postcode } };
}
