// The registration forms, one schema each, from the shared fields.
import { z } from 'zod';
import { PASSWORD_MESSAGES } from '../../domain/password-policy.js';
import { PASSWORD_MISMATCH, emailField, mobileField, newPasswordField, text } from '../form-fields.js';

export { CODE_FORMAT_MESSAGE, codeForm, fieldErrors, typed } from '../form-fields.js';

export const PASSWORD_CONFIRM_MESSAGES = {
  empty: 'Enter your password again',
  mismatch: PASSWORD_MISMATCH,
} as const;

export const emailForm = z.object({ email: emailField() });

export const passwordForm = z.object({ password: newPasswordField(PASSWORD_MESSAGES.empty), confirm: text });

export const phoneForm = z.object({ phone: mobileField() });
