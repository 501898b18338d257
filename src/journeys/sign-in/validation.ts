// The sign-in forms. Messages follow the NHS style: say what to do.
import { z } from 'zod';
import { currentPasswordField, text } from '../form-fields.js';

export { codeForm, fieldErrors } from '../form-fields.js';

export const signInForm = z.object({
  email: text.pipe(
    z.string().trim().min(1, 'Enter your email address').max(254, 'Enter a shorter email address'),
  ),
  password: currentPasswordField('Enter your password'),
});
