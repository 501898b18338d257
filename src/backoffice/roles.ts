// Back-office roles, and which roles may use each back-office route, as
// data. The table is the staff routes below plus each area's own
// (suppliers/permissions.ts, support/permissions.ts, audit/permissions.ts,
// id-checks/permissions.ts, in-person/permissions.ts, delegations/permissions.ts).
// Every route takes its preHandler from it (kit.ts, requireRole), and
// test/backoffice.test.ts tries every entry as every role, as a patient and
// anonymously.
import type { StaffRoleName } from '../store/schema.js';
import { AUDIT_LINKS, AUDIT_ROUTES } from './audit/permissions.js';
import { DELEGATION_LINKS, DELEGATION_ROUTES } from './delegations/permissions.js';
import { ID_CHECK_LINKS, ID_CHECK_ROUTES } from './id-checks/permissions.js';
import { IN_PERSON_LINKS, IN_PERSON_ROUTES } from './in-person/permissions.js';
import { SUPPLIER_LINKS, SUPPLIER_ROUTES } from './suppliers/permissions.js';
import { SUPPORT_LINKS, SUPPORT_ROUTES } from './support/permissions.js';

export type StaffRole = StaffRoleName;

export const ROLES: readonly StaffRole[] = ['operator', 'support', 'id-checker', 'practice-staff', 'auditor'];

export const ROLE_TEXT: Record<StaffRole, { name: string; can: string }> = {
  operator: { name: 'Operator', can: 'Manage suppliers, signing keys, configuration and staff' },
  support: { name: 'Support', can: 'Find and help patients' },
  'id-checker': { name: 'ID checker', can: 'Review fraud signals, photo ID and video evidence' },
  'practice-staff': {
    name: 'Practice staff',
    can: 'Verify people face to face, and set up access for those who cannot give it, at your organisation',
  },
  auditor: { name: 'Auditor', can: 'Read the audit log' },
};

export function isRole(value: unknown): value is StaffRole {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** An organisation's ODS code, for example X26 (NHS England) or A81001 (a GP practice). */
export const ODS_CODE = /^[A-Z0-9]{3,6}$/;

/** The service operator's own organisation (NHS England), for the first operator. */
export const OPERATOR_ODS_CODE = 'X26';

export interface BackofficeRoute {
  method: 'GET' | 'POST';
  url: string;
  /** Who may use it; 'anyone' for the pages that sign staff in. */
  roles: readonly StaffRole[] | 'anyone';
  /** Asks for a password and app code (or passkey) within the last 5 minutes first. */
  sensitive?: boolean;
}

const everyone = ROLES;
const operators: readonly StaffRole[] = ['operator'];

/** Signing in, setting up, passkeys and managing staff. */
export const STAFF_ROUTES = [
  { method: 'GET', url: '/backoffice/sign-in', roles: 'anyone' },
  { method: 'POST', url: '/backoffice/sign-in', roles: 'anyone' },
  { method: 'GET', url: '/backoffice/setup/:token', roles: 'anyone' },
  { method: 'POST', url: '/backoffice/setup/:token', roles: 'anyone' },
  { method: 'GET', url: '/backoffice/signed-out', roles: 'anyone' },
  { method: 'GET', url: '/backoffice/passkey/options', roles: 'anyone' },
  { method: 'POST', url: '/backoffice/passkey/sign-in', roles: 'anyone' },
  { method: 'GET', url: '/backoffice', roles: everyone },
  { method: 'GET', url: '/backoffice/passkeys', roles: everyone, sensitive: true },
  { method: 'GET', url: '/backoffice/passkeys/options', roles: everyone, sensitive: true },
  { method: 'POST', url: '/backoffice/passkeys', roles: everyone, sensitive: true },
  { method: 'POST', url: '/backoffice/passkeys/remove', roles: everyone, sensitive: true },
  { method: 'GET', url: '/backoffice/reauthenticate', roles: everyone },
  { method: 'POST', url: '/backoffice/reauthenticate', roles: everyone },
  { method: 'GET', url: '/backoffice/reauthenticate/passkey-options', roles: everyone },
  { method: 'POST', url: '/backoffice/reauthenticate/passkey', roles: everyone },
  { method: 'POST', url: '/backoffice/sign-out', roles: everyone },
  { method: 'GET', url: '/backoffice/staff', roles: operators },
  { method: 'GET', url: '/backoffice/staff/invite', roles: operators, sensitive: true },
  { method: 'POST', url: '/backoffice/staff/invite', roles: operators, sensitive: true },
  { method: 'GET', url: '/backoffice/staff/:id/role', roles: operators, sensitive: true },
  { method: 'POST', url: '/backoffice/staff/:id/role', roles: operators, sensitive: true },
  { method: 'GET', url: '/backoffice/staff/:id/access', roles: operators, sensitive: true },
  { method: 'POST', url: '/backoffice/staff/:id/access', roles: operators, sensitive: true },
] as const satisfies readonly BackofficeRoute[];

export const BACKOFFICE_ROUTES = [
  ...STAFF_ROUTES,
  ...SUPPLIER_ROUTES,
  ...SUPPORT_ROUTES,
  ...AUDIT_ROUTES,
  ...ID_CHECK_ROUTES,
  ...IN_PERSON_ROUTES,
  ...DELEGATION_ROUTES,
] as const satisfies readonly BackofficeRoute[];

export type BackofficeRouteKey =
  `${(typeof BACKOFFICE_ROUTES)[number]['method']} ${(typeof BACKOFFICE_ROUTES)[number]['url']}`;

export function routeEntry(key: BackofficeRouteKey): BackofficeRoute {
  const found = BACKOFFICE_ROUTES.find((r) => `${r.method} ${r.url}` === key);
  if (!found) throw new Error(`no back-office route ${key}`);
  return found;
}

/** May this role use this route? */
export function allowed(route: BackofficeRoute, role: StaffRole): boolean {
  return route.roles === 'anyone' || route.roles.includes(role);
}

/** What the home page offers each role: links to the pages it may open. */
export interface HomeLink {
  href: string;
  text: string;
  /** The route the link opens: shown only to roles that may use it. */
  route: string;
}

export const HOME_LINKS: HomeLink[] = [
  ...SUPPLIER_LINKS,
  ...SUPPORT_LINKS,
  ...AUDIT_LINKS,
  ...ID_CHECK_LINKS,
  ...IN_PERSON_LINKS,
  ...DELEGATION_LINKS,
  { href: '/backoffice/passkeys', text: 'Your passkeys', route: 'GET /backoffice/passkeys' },
  { href: '/backoffice/staff', text: 'Staff', route: 'GET /backoffice/staff' },
  {
    href: '/backoffice/staff/invite',
    text: 'Invite a member of staff',
    route: 'GET /backoffice/staff/invite',
  },
];
