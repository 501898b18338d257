// Which roles may use each route of the ID checker queue; part of the
// permission table in ../roles.ts. Which items a checker may open (their
// organisation's patients, or everyone's at the operator) is decided per
// request in routes.ts.
import type { BackofficeRoute, HomeLink, StaffRole } from '../roles.js';

const checkers: readonly StaffRole[] = ['id-checker'];

export const ID_CHECK_ROUTES = [
  // The queue: open items oldest first (?state=decided for the decided ones).
  { method: 'GET', url: '/backoffice/id-checks', roles: checkers },
  // One item, with its evidence and the account's earlier items; the decision (a photo ID
  // referral is approved or rejected, see photo-id-review.ts).
  { method: 'GET', url: '/backoffice/id-checks/:checkId', roles: checkers },
  { method: 'POST', url: '/backoffice/id-checks/:checkId', roles: checkers },
  // The photo ID evidence of an item (document photo, video, frames), decrypted and never cached.
  { method: 'GET', url: '/backoffice/id-checks/:checkId/evidence/:evidenceId', roles: checkers },
] as const satisfies readonly BackofficeRoute[];

/** Links on the back-office home page (shown to the roles that may open them). */
export const ID_CHECK_LINKS: HomeLink[] = [
  { href: '/backoffice/id-checks', text: 'ID checks to review', route: 'GET /backoffice/id-checks' },
];
