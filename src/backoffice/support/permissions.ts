// Which roles may use each support route of the back office; part of the
// permission table in ../roles.ts. Which patients a support member may open
// (their organisation's, or everyone's at the operator) is decided per
// request in access.ts.
import type { BackofficeRoute, HomeLink, StaffRole } from '../roles.js';

const support: readonly StaffRole[] = ['support'];

export const SUPPORT_ROUTES = [
  // Search by email, mobile or NHS number. The search is a POST so that
  // patients' details stay out of addresses, logs and browser history.
  { method: 'GET', url: '/backoffice/support', roles: support },
  { method: 'POST', url: '/backoffice/support', roles: support },
  { method: 'GET', url: '/backoffice/support/patients/:accountId', roles: support },
  { method: 'GET', url: '/backoffice/support/patients/:accountId/lock', roles: support },
  { method: 'POST', url: '/backoffice/support/patients/:accountId/lock', roles: support },
  { method: 'GET', url: '/backoffice/support/patients/:accountId/unlock', roles: support },
  { method: 'POST', url: '/backoffice/support/patients/:accountId/unlock', roles: support },
  { method: 'GET', url: '/backoffice/support/patients/:accountId/require-password-reset', roles: support },
  { method: 'POST', url: '/backoffice/support/patients/:accountId/require-password-reset', roles: support },
  // Weakens the account's sign-in, erases it, or hands over everything held: the staff member proves it is them again.
  {
    method: 'GET',
    url: '/backoffice/support/patients/:accountId/remove-authenticator',
    roles: support,
    sensitive: true,
  },
  {
    method: 'POST',
    url: '/backoffice/support/patients/:accountId/remove-authenticator',
    roles: support,
    sensitive: true,
  },
  { method: 'GET', url: '/backoffice/support/patients/:accountId/erase', roles: support, sensitive: true },
  { method: 'POST', url: '/backoffice/support/patients/:accountId/erase', roles: support, sensitive: true },
  // A subject access request: asks the reason (GET), then answers with the file or a readable page (POST).
  { method: 'GET', url: '/backoffice/support/patients/:accountId/export', roles: support, sensitive: true },
  { method: 'POST', url: '/backoffice/support/patients/:accountId/export', roles: support, sensitive: true },
] as const satisfies readonly BackofficeRoute[];

/** Links on the back-office home page (shown to the roles that may open them). */
export const SUPPORT_LINKS: HomeLink[] = [
  { href: '/backoffice/support', text: 'Find a patient', route: 'GET /backoffice/support' },
];
