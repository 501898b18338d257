// The forgotten-password forms, one schema each, from the shared fields.
import { z } from 'zod';
import { PASSWORD_MISMATCH, emailField, newPasswordField, text } from '../form-fields.js';

export { CODE_FORMAT_MESSAGE, codeForm, fieldErrors } from '../form-fields.js';

export const PASSWORD_CONFIRM_MESSAGES = {
  empty: 'Enter your new password again',
  mismatch: PASSWORD_MISMATCH,
} as const;

export const emailForm = z.object({ email: emailField() });

export const newPasswordForm = z.object({
  password: newPasswordField('Enter a new password'),
  confirm: text.pipe(z.string().min(1, PASSWORD_CONFIRM_MESSAGES.empty)),
});
