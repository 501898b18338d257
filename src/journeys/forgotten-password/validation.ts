// The forgotten-password forms, one schema each. Messages follow the NHS
// style: say what to do. The email's format and the new password's strength
// are checked after parsing (normaliseEmail, the password policy).
import { z } from 'zod';

/** A text field; missing from the body reads the same as left empty. */
const field = (empty: string) => z.string({ error: empty });

export const emailForm = z.object({
  email: field('Enter your email address')
    .trim()
    .min(1, 'Enter your email address')
    .max(254, 'Email address must be 254 characters or fewer'),
});

export const codeForm = z.object({
  code: field('Enter the 6-digit security code')
    .trim()
    .min(1, 'Enter the 6-digit security code')
    .max(20, 'Enter the 6-digit security code'),
});

export const newPasswordForm = z.object({
  password: field('Enter a new password')
    .min(1, 'Enter a new password')
    .max(1024, 'Your password must be 128 characters or fewer'),
  confirmPassword: field('Re-enter your new password').min(1, 'Re-enter your new password'),
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
