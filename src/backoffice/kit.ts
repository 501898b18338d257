// What every back-office area (staff, suppliers, support, audit) registers
// its pages with: one `route` function that takes the role check from the
// permission table (roles.ts), the signed-in staff member, the page
// renderer and the form reader. An area file holds only its own handlers.
import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import type { EvidenceStore } from '../adapters/document-check/evidence-store.js';
import type { GpSystem } from '../adapters/gp-system/index.js';
import type { Notifier } from '../adapters/notify/port.js';
import type { Demographics } from '../adapters/pds/index.js';
import type { RateLimits } from '../adapters/rate-limits.js';
import type { AuditLog } from '../audit/log.js';
import type { PasswordPolicy } from '../domain/password-policy.js';
import type { Db } from '../store/db.js';
import type { Sealer } from '../store/encryption.js';
import { csrfProtect } from '../web/security.js';
import { render } from '../web/views.js';
import { BACKOFFICE_ROUTES, allowed, routeEntry, type BackofficeRouteKey } from './roles.js';
import {
  createStaffSessions,
  recentlyAuthenticated,
  type StaffSession,
  type StaffSessions,
} from './session.js';

export interface BackofficeDeps {
  issuer: string;
  db: Db;
  sealer: Sealer;
  audit: AuditLog;
  notifier: Notifier;
  limits: RateLimits;
  passwords: PasswordPolicy;
  /** The national demographics record (PDS): in-person checks look patients up. */
  demographics: Demographics;
  /** The GP systems (IM1): issuing GP online services details in person. */
  gpSystem: GpSystem;
  /** Photo ID evidence, for the ID checker's review. */
  evidence: EvidenceStore;
}

export const SIGN_IN_PATH = '/backoffice/sign-in';

export type Fields = Record<string, string>;
export type Handler = (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

export interface BackofficeKit {
  app: FastifyInstance;
  deps: BackofficeDeps;
  sessions: StaffSessions;
  /** Registers a handler for an entry of the permission table, behind its role check (and CSRF for POST). */
  route: (key: BackofficeRouteKey, handler: Handler) => void;
  /** The staff member signed in for this request (set by the role check). */
  staffOf: (request: FastifyRequest) => StaffSession;
  /** A back-office page, with the header linking home to /backoffice. */
  page: (reply: FastifyReply, template: string, context?: Record<string, unknown>) => string;
  /** Sends a page with a status (400 for a form with errors, 404, 403...). */
  send: (
    reply: FastifyReply,
    status: number,
    template: string,
    context?: Record<string, unknown>,
  ) => FastifyReply;
  notFound: (reply: FastifyReply) => FastifyReply;
  /** Throws when a table entry has no handler, so a forgotten route stops the start. */
  assertAllRegistered: () => void;
}

/** The string fields of a form body, without the CSRF token. */
export function fields(request: FastifyRequest): Fields {
  const body = (request.body ?? {}) as Record<string, unknown>;
  const out: Fields = {};
  for (const [k, v] of Object.entries(body)) if (typeof v === 'string' && k !== '_csrf') out[k] = v;
  return out;
}

/** A field that may be given several times (checkboxes): always an array of strings. */
export function many(request: FastifyRequest, name: string): string[] {
  const value = ((request.body ?? {}) as Record<string, unknown>)[name];
  const list = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return list.filter((v): v is string => typeof v === 'string');
}

export function createKit(app: FastifyInstance, deps: BackofficeDeps): BackofficeKit {
  const sessions = createStaffSessions(deps.db);
  const signedIn = new WeakMap<FastifyRequest, StaffSession>();
  const registered = new Set<string>();

  const page = (reply: FastifyReply, template: string, context: Record<string, unknown> = {}) =>
    render(reply, `backoffice/${template}.njk`, { headerServiceHref: '/backoffice', ...context });
  const send = (reply: FastifyReply, status: number, template: string, context?: Record<string, unknown>) =>
    reply.code(status).send(page(reply, template, context));

  /** The preHandler of every back-office route: who is signed in, and may their role use this route. */
  function requireRole(key: BackofficeRouteKey): preHandlerAsyncHookHandler {
    const entry = routeEntry(key);
    return async (request, reply) => {
      if (entry.roles === 'anyone') return;
      const session = await sessions.load(request);
      if (!session) return reply.redirect(SIGN_IN_PATH, 303);
      if (!allowed(entry, session.staff.role)) {
        return send(reply, 403, 'forbidden', { pageTitle: 'You cannot open this page' });
      }
      if (entry.sensitive && !recentlyAuthenticated(session)) {
        const next = entry.method === 'GET' ? request.url.split('?')[0] : '/backoffice';
        return reply.redirect(`/backoffice/reauthenticate?next=${encodeURIComponent(next ?? '')}`, 303);
      }
      signedIn.set(request, session);
    };
  }

  return {
    app,
    deps,
    sessions,
    route: (key, handler) => {
      const entry = routeEntry(key);
      const preHandler = [requireRole(key), ...(entry.method === 'POST' ? [csrfProtect] : [])];
      app.route({ method: entry.method, url: entry.url, preHandler, handler });
      registered.add(key);
    },
    staffOf: (request) => {
      const session = signedIn.get(request);
      if (!session) throw new Error('requireRole did not run');
      return session;
    },
    page,
    send,
    notFound: (reply) => send(reply, 404, 'not-found', { pageTitle: 'Page not found' }),
    assertAllRegistered: () => {
      for (const r of BACKOFFICE_ROUTES) {
        if (!registered.has(`${r.method} ${r.url}`))
          throw new Error(`back-office route ${r.method} ${r.url} has no handler`);
      }
    },
  };
}
