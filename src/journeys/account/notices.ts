// The one-off success message the account page shows after a change ("Your
// email address has been changed"), kept in the journey until shown once,
// so that no link can make the page claim something happened.
import type { JourneyState } from '../state.js';

export const ACCOUNT_NOTICES = {
  email: 'Your email address has been changed',
  password: 'Your password has been changed',
  'password-reset': 'Your password has been reset',
  phone: 'Your mobile phone number has been changed',
  'app-added': 'Your authenticator app has been set up',
  'app-removed': 'Your authenticator app has been removed',
  'erasure-cancelled': 'Your NHS login will not be deleted',
} as const;

export type AccountNotice = keyof typeof ACCOUNT_NOTICES;

const KEY = 'accountNotice';

export function setAccountNotice(state: JourneyState, notice: AccountNotice): void {
  state[KEY] = notice;
}

/** The message to show now, if any, removing it from the state (the caller saves). */
export function takeAccountNotice(state: JourneyState): string | undefined {
  const notice = state[KEY];
  delete state[KEY];
  return typeof notice === 'string' && Object.hasOwn(ACCOUNT_NOTICES, notice)
    ? ACCOUNT_NOTICES[notice as AccountNotice]
    : undefined;
}
