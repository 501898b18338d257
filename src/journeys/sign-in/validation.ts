// The sign-in forms, one schema each. Messages follow the NHS style: say what to do.
import { z } from 'zod';

export const signInForm = z.object({
  email: z.string().trim().min(1, 'Enter your email address').max(254, 'Enter a shorter email address'),
  password: z.string().min(1, 'Enter your password').max(1024, 'Enter a shorter password'),
});

export const codeForm = z.object({
  code: z
    .string()
    .trim()
    .min(1, 'Enter the 6-digit security code')
    .max(20, 'Enter the 6-digit security code'),
  remember: z.string().optional(),
});

/** Field errors for the page from a failed parse, keeping only the first per field. */
export function fieldErrors(error: z.ZodError): Record<string, string> {
  const out: Record<string, string> = {};
  for (const issue of error.issues) {
    const field = String(issue.path[0] ?? 'form');
    out[field] ??= issue.message;
  }
  return out;
}
