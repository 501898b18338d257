// The account-page forms, one schema each, from the shared fields.
import { z } from 'zod';
import {
  PASSWORD_MISMATCH,
  currentPasswordField,
  emailField,
  mobileField,
  newPasswordField,
  text,
} from '../form-fields.js';

export { CODE_FORMAT_MESSAGE, codeForm, fieldErrors } from '../form-fields.js';

export const PASSWORD_CONFIRM_MESSAGES = {
  empty: 'Enter your new password again',
  mismatch: PASSWORD_MISMATCH,
} as const;

export const emailForm = z.object({ email: emailField('Enter your new email address') });

export const phoneForm = z.object({ phone: mobileField('Enter your new mobile phone number') });

export const changePasswordForm = z.object({
  currentPassword: currentPasswordField('Enter your current password'),
  password: newPasswordField('Enter a new password'),
  confirm: text.pipe(z.string().min(1, PASSWORD_CONFIRM_MESSAGES.empty)),
});

/** Confirming who you are before removing an app or deleting the account. */
export const passwordForm = z.object({ password: currentPasswordField('Enter your password') });
