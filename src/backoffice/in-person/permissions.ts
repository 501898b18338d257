// Which roles may use each route of the in-person pages (P9 in person);
// part of the permission table in ../roles.ts. Which patients a member of
// staff may act for (those registered at their organisation, or anyone's at
// the operator, X26) is decided per request in routes.ts.
import type { BackofficeRoute, HomeLink, StaffRole } from '../roles.js';

const practiceStaff: readonly StaffRole[] = ['practice-staff'];

export const IN_PERSON_ROUTES = [
  // Find the patient in PDS by NHS number and date of birth. The search is a
  // POST, and every later step carries the details in the form, so NHS
  // numbers never sit in addresses, logs or browser history. Starting asks
  // for a fresh sign-in proof, as do the two steps that act.
  { method: 'GET', url: '/backoffice/in-person', roles: practiceStaff, sensitive: true },
  { method: 'POST', url: '/backoffice/in-person', roles: practiceStaff },
  // Record the face-to-face photo ID check.
  { method: 'POST', url: '/backoffice/in-person/check', roles: practiceStaff },
  // Provision (create, claimed by the patient) or uplift an NHS login.
  { method: 'POST', url: '/backoffice/in-person/provision', roles: practiceStaff, sensitive: true },
  // Issue GP online services details (shown once).
  { method: 'POST', url: '/backoffice/in-person/gp-details', roles: practiceStaff, sensitive: true },
] as const satisfies readonly BackofficeRoute[];

/** Links on the back-office home page (shown to the roles that may open them). */
export const IN_PERSON_LINKS: HomeLink[] = [
  {
    href: '/backoffice/in-person',
    text: 'Verify a patient face to face',
    route: 'GET /backoffice/in-person',
  },
];
