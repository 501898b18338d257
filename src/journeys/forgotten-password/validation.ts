// The forgotten-password forms, one schema each. The email address is
// normalised by the domain rule (one stored form per address); the new
// password's strength is checked by the route with the password policy.
// Messages follow the NHS style: say what to do.
import { z } from 'zod';
import { EMAIL_MESSAGES, normaliseEmail } from '../../domain/contact-details.js';
import { MAX_PASSWORD_LENGTH, PASSWORD_MESSAGES } from '../../domain/password-policy.js';

/** A form field as text: a missing field or a repeated one is treated as empty. */
const text = z.unknown().transform((v) => (typeof v === 'string' ? v : ''));

export const CODE_FORMAT_MESSAGE = 'Enter the 6-digit security code';

export const PASSWORD_CONFIRM_MESSAGES = {
  empty: 'Enter your new password again',
  mismatch: 'The passwords do not match. Enter the same password in both boxes',
} as const;

export const emailForm = z.object({
  email: text.transform((value, ctx) => {
    const email = normaliseEmail(value);
    if (!email.ok) {
      ctx.addIssue({ code: 'custom', message: EMAIL_MESSAGES[email.error] });
      return z.NEVER;
    }
    return email.value;
  }),
});

export const codeForm = z.object({
  code: text.pipe(z.string().trim().min(1, CODE_FORMAT_MESSAGE).max(20, CODE_FORMAT_MESSAGE)),
});

/** Shape only: the password policy (common passwords, the email in it) is checked by the route. */
export const newPasswordForm = z.object({
  password: text.pipe(
    z
      .string()
      .min(1, 'Enter a new password')
      .max(MAX_PASSWORD_LENGTH * 4, PASSWORD_MESSAGES.too_long),
  ),
  confirm: text.pipe(z.string().min(1, PASSWORD_CONFIRM_MESSAGES.empty)),
});

/** Field errors for the page from a failed parse, keeping only the first per field. */
export function fieldErrors(error: z.ZodError): Record<string, string> {
  const out: Record<string, string> = {};
  for (const issue of error.issues) {
    const name = String(issue.path[0] ?? 'form');
    out[name] ??= issue.message;
  }
  return out;
}
