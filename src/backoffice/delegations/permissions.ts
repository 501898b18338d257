// Which roles may use each route of the delegated-access pages; part of the
// permission table in ../roles.ts. Practice staff set access up for a child
// under 16 or a person who lacks capacity, registered at their practice, and
// renew it; support sees every delegation a patient gives or has and
// suspends or reinstates one with a reason. Which patients and delegations a
// member may act on (their organisation's, or anyone's at X26) is decided per
// request in routes.ts and support.ts.
import type { BackofficeRoute, HomeLink, StaffRole } from '../roles.js';

const practiceStaff: readonly StaffRole[] = ['practice-staff'];
const support: readonly StaffRole[] = ['support'];

export const DELEGATION_ROUTES = [
  // The practice's delegations, review dates due soon first.
  { method: 'GET', url: '/backoffice/delegations', roles: practiceStaff },
  // Find the person access is for (NHS number and date of birth, a POST so
  // the number stays out of addresses), then the set-up form. Setting up asks
  // for a fresh sign-in proof.
  { method: 'GET', url: '/backoffice/delegations/new', roles: practiceStaff, sensitive: true },
  { method: 'POST', url: '/backoffice/delegations/new', roles: practiceStaff },
  { method: 'POST', url: '/backoffice/delegations/set-up', roles: practiceStaff, sensitive: true },
  // Move the review date on.
  { method: 'GET', url: '/backoffice/delegations/:delegationId/renew', roles: practiceStaff },
  { method: 'POST', url: '/backoffice/delegations/:delegationId/renew', roles: practiceStaff },
  // Support: a patient's delegations, given and received, with their history.
  { method: 'GET', url: '/backoffice/support/patients/:accountId/delegations', roles: support },
  {
    method: 'GET',
    url: '/backoffice/support/patients/:accountId/delegations/:delegationId/suspend',
    roles: support,
  },
  {
    method: 'POST',
    url: '/backoffice/support/patients/:accountId/delegations/:delegationId/suspend',
    roles: support,
  },
  {
    method: 'GET',
    url: '/backoffice/support/patients/:accountId/delegations/:delegationId/reinstate',
    roles: support,
  },
  {
    method: 'POST',
    url: '/backoffice/support/patients/:accountId/delegations/:delegationId/reinstate',
    roles: support,
  },
] as const satisfies readonly BackofficeRoute[];

/** Links on the back-office home page (shown to the roles that may open them). */
export const DELEGATION_LINKS: HomeLink[] = [
  {
    href: '/backoffice/delegations',
    text: 'Access set up for patients who cannot give it themselves',
    route: 'GET /backoffice/delegations',
  },
];
