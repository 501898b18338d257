// What the delegated-access journey keeps in the journey state that other
// journeys read: the invitation a browser opened, kept through signing in,
// registering and proving, so the account page can link back to it.
import type { JourneyState } from '../state.js';

/** Journey-state key: the id of the invitation this browser opened (never its token). */
export const PENDING_INVITATION_KEY = 'pendingInvitation';

/** Whether this journey has an invitation waiting to be looked at. */
export const hasPendingInvitation = (state: JourneyState | undefined): boolean =>
  typeof state?.[PENDING_INVITATION_KEY] === 'string';
