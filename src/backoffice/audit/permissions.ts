// Which roles may use each audit route of the back office; part of the
// permission table in ../roles.ts. Only auditors read the log (search and
// export). Checking the hash chain shows no entry's contents, only whether
// the chain holds and where it first breaks, so operators, who answer for
// the running service, may check it too.
import type { BackofficeRoute, HomeLink, StaffRole } from '../roles.js';

const auditors: readonly StaffRole[] = ['auditor'];
const chainCheckers: readonly StaffRole[] = ['auditor', 'operator'];

export const AUDIT_ROUTES = [
  { method: 'GET', url: '/backoffice/audit', roles: auditors },
  // A bulk download of personal data: password and app code (or passkey) again first.
  { method: 'GET', url: '/backoffice/audit/export', roles: auditors, sensitive: true },
  { method: 'POST', url: '/backoffice/audit/export', roles: auditors, sensitive: true },
  { method: 'GET', url: '/backoffice/audit/verify', roles: chainCheckers },
  { method: 'POST', url: '/backoffice/audit/verify', roles: chainCheckers },
] as const satisfies readonly BackofficeRoute[];

/** Links on the back-office home page (shown to the roles that may open them). */
export const AUDIT_LINKS: HomeLink[] = [
  { href: '/backoffice/audit', text: 'Search the audit log', route: 'GET /backoffice/audit' },
  { href: '/backoffice/audit/export', text: 'Export the audit log', route: 'GET /backoffice/audit/export' },
  {
    href: '/backoffice/audit/verify',
    text: 'Check the audit log has not been changed',
    route: 'GET /backoffice/audit/verify',
  },
];
