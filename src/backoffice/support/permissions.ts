// Which roles may use each support route of the back office; part of the
// permission table in ../roles.ts.
import type { BackofficeRoute, HomeLink } from '../roles.js';

export const SUPPORT_ROUTES = [] as const satisfies readonly BackofficeRoute[];

/** Links on the back-office home page (shown to the roles that may open them). */
export const SUPPORT_LINKS: HomeLink[] = [];
