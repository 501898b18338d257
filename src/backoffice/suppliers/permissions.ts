// Which roles may use each suppliers route of the back office; part of the
// permission table in ../roles.ts. Only operators manage suppliers; every
// page that changes one asks them to have signed in (or confirmed it is
// them) within the last 5 minutes.
import type { BackofficeRoute, HomeLink, StaffRole } from '../roles.js';

const operators: readonly StaffRole[] = ['operator'];

export const SUPPLIER_ROUTES = [
  { method: 'GET', url: '/backoffice/suppliers', roles: operators },
  { method: 'GET', url: '/backoffice/suppliers/new', roles: operators, sensitive: true },
  { method: 'POST', url: '/backoffice/suppliers/new', roles: operators, sensitive: true },
  { method: 'GET', url: '/backoffice/suppliers/:clientId', roles: operators },
  { method: 'GET', url: '/backoffice/suppliers/:clientId/change', roles: operators, sensitive: true },
  { method: 'POST', url: '/backoffice/suppliers/:clientId/change', roles: operators, sensitive: true },
  { method: 'GET', url: '/backoffice/suppliers/:clientId/suspend', roles: operators, sensitive: true },
  { method: 'POST', url: '/backoffice/suppliers/:clientId/suspend', roles: operators, sensitive: true },
  { method: 'GET', url: '/backoffice/suppliers/:clientId/resume', roles: operators, sensitive: true },
  { method: 'POST', url: '/backoffice/suppliers/:clientId/resume', roles: operators, sensitive: true },
  { method: 'GET', url: '/backoffice/suppliers/:clientId/remove', roles: operators, sensitive: true },
  { method: 'POST', url: '/backoffice/suppliers/:clientId/remove', roles: operators, sensitive: true },
] as const satisfies readonly BackofficeRoute[];

/** Links on the back-office home page (shown to the roles that may open them). */
export const SUPPLIER_LINKS: HomeLink[] = [
  { href: '/backoffice/suppliers', text: 'Suppliers', route: 'GET /backoffice/suppliers' },
  { href: '/backoffice/suppliers/new', text: 'Register a supplier', route: 'GET /backoffice/suppliers/new' },
];
