// The fields every journey's forms share, as zod pieces. Contact details are
// normalised by the domain rules (one stored form per address or number);
// messages follow the NHS style: say what to do.
import { z } from 'zod';
import {
  EMAIL_MESSAGES,
  MOBILE_MESSAGES,
  normaliseEmail,
  normaliseUkMobile,
} from '../domain/contact-details.js';
import { MAX_PASSWORD_LENGTH, PASSWORD_MESSAGES } from '../domain/password-policy.js';

/**
 * A form field as text: a missing field or a repeated one is treated as
 * empty, so the person sees the field's own message ("Enter your email
 * address"), never the validator's. (A preprocess, not a transform: zod
 * reports a missing key as "expected nonoptional" before a transform runs.)
 */
export const text = z.preprocess((v) => (typeof v === 'string' ? v : ''), z.string());

export const CODE_FORMAT_MESSAGE = 'Enter the 6-digit security code';

export const codeForm = z.object({
  code: text.pipe(z.string().trim().min(1, CODE_FORMAT_MESSAGE).max(20, CODE_FORMAT_MESSAGE)),
  // As text: a repeated "remember" (remember=yes&remember=no) showed the
  // validator's own "Invalid input: expected string, received array".
  remember: text,
});

export const PASSWORD_MISMATCH = 'The passwords do not match. Enter the same password in both boxes';

/** An email address, normalised; `empty` overrides the message for a blank field. */
export const emailField = (empty?: string) =>
  text.transform((value, ctx) => {
    const email = normaliseEmail(value);
    if (!email.ok) {
      ctx.addIssue({
        code: 'custom',
        message: email.error === 'empty' && empty ? empty : EMAIL_MESSAGES[email.error],
      });
      return z.NEVER;
    }
    return email.value;
  });

/** A UK mobile number, normalised to +44; `empty` overrides the message for a blank field. */
export const mobileField = (empty?: string) =>
  text.transform((value, ctx) => {
    const phone = normaliseUkMobile(value);
    if (!phone.ok) {
      ctx.addIssue({
        code: 'custom',
        message: phone.error === 'empty' && empty ? empty : MOBILE_MESSAGES[phone.error],
      });
      return z.NEVER;
    }
    return phone.value;
  });

/** A new password's shape only: the policy (common passwords, the email in it) is checked by the route. */
export const newPasswordField = (empty: string) =>
  text.pipe(
    z
      .string()
      .min(1, empty)
      .max(MAX_PASSWORD_LENGTH * 4, PASSWORD_MESSAGES.too_long),
  );

/** A password typed to prove it is you (not checked against the policy). */
export const currentPasswordField = (empty: string) =>
  text.pipe(
    z
      .string()
      .min(1, empty)
      .max(MAX_PASSWORD_LENGTH * 4, empty),
  );

/** Field errors for the page from a failed parse, keeping only the first per field. */
export function fieldErrors(error: z.ZodError): Record<string, string> {
  const out: Record<string, string> = {};
  for (const issue of error.issues) {
    const name = String(issue.path[0] ?? 'form');
    out[name] ??= issue.message;
  }
  return out;
}

/** The form's raw text fields, to show again after an error. */
export function typed(body: unknown, fields: readonly string[]): Record<string, string> {
  const record = (body ?? {}) as Record<string, unknown>;
  const out: Record<string, string> = {};
  for (const f of fields) {
    const v = record[f];
    out[f] = typeof v === 'string' ? v : '';
  }
  return out;
}
