// The back office: one area per folder, each registering its pages through
// the kit (kit.ts), which takes every route's role check from the permission
// table (roles.ts). A table entry left without a handler stops the start.
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { registerAuditRoutes } from './audit/routes.js';
import { registerDelegationRoutes } from './delegations/routes.js';
import { registerIdCheckRoutes } from './id-checks/routes.js';
import { registerInPersonRoutes } from './in-person/routes.js';
import { createKit, type BackofficeDeps } from './kit.js';
import { registerStaffRoutes } from './staff/routes.js';
import { registerSupplierRoutes } from './suppliers/routes.js';
import { registerSupportRoutes } from './support/routes.js';

export type { BackofficeDeps } from './kit.js';

/** The small browser script for passkeys (no inline scripts under our CSP). */
export const BACKOFFICE_ASSETS_PREFIX = '/assets/backoffice/';

export function registerBackofficeRoutes(app: FastifyInstance, deps: BackofficeDeps): void {
  void app.register(fastifyStatic, {
    root: fileURLToPath(new URL('./public', import.meta.url)),
    prefix: BACKOFFICE_ASSETS_PREFIX,
    decorateReply: false,
    index: false,
  });
  const kit = createKit(app, deps);
  registerStaffRoutes(kit);
  registerSupplierRoutes(kit);
  registerSupportRoutes(kit);
  registerAuditRoutes(kit);
  registerIdCheckRoutes(kit);
  registerInPersonRoutes(kit);
  registerDelegationRoutes(kit);
  kit.assertAllRegistered();
}
