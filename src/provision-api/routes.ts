// The Provision Account API (interface.md; NHS login's v1.0 draft):
// `POST /provision-account` with a JSON body of exactly nhs_number,
// email_address, date_of_birth, ods_code and phone_number. An authorised
// organisation has checked the person's photo ID face to face and asks for
// their NHS login to be created (the person claims it from an emailed link)
// or, when they have one at P5 already, uplifted to P9 at once.
//
// Who may call. A supplier approved for provisioning (supplier metadata
// `provisioning: { ods_code }`, set by an operator) with a bearer access
// token from the jwt-bearer grant at /token (the same grant and token as the
// Users API: RS512, ours, unexpired, issued to that supplier). The supplier
// must be active and approved when it calls, and may provision only for the
// organisation it is approved for.
//
// Answers: 201 { outcome: 'create' | 'uplift', request_id }; errors are
// JSON { code, message } (codes in domain/provisioning.ts PROVISION_ERRORS;
// a validation error also lists every field at fault in `errors`). A token
// problem is 401 { code: 'invalid_token' } and a supplier not approved 403
// { code: 'not_approved' }, each with a WWW-Authenticate challenge. Every
// call from an identified supplier is audited (never the NHS number, email
// or phone number).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { JWK } from 'jose';
import { AUDIT_EVENTS } from '../audit/events.js';
import { scoreInPerson } from '../domain/gpg45-routes.js';
import {
  PROVISION_ERRORS,
  PROVISION_FIELDS,
  gpg45Record,
  parseProvision,
  type ProvisionError,
  type RawProvision,
} from '../domain/provisioning.js';
import { USERS_API_RESOURCE } from '../oidc/users-api-grant.js';
import { createOwnJwtVerifier } from '../oidc/userinfo.js';
import { findSupplier } from '../store/suppliers.js';
import { provision, type ProvisionDeps } from './service.js';

export const PROVISION_PATH = '/provision-account';

export interface ProvisionApiDeps extends ProvisionDeps {
  /** The provider's current keys; reloaded when a token names a kid we do not know. */
  signingKeys: () => Promise<JWK[]>;
}

class AuthError extends Error {
  constructor(
    readonly status: 401 | 403,
    readonly code: 'invalid_token' | 'not_approved',
    message: string,
  ) {
    super(message);
  }
}

function sendJson(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply.code(status).header('Cache-Control', 'no-store').header('Pragma', 'no-cache').send(body);
}

function sendError(reply: FastifyReply, error: ProvisionError, extra: Record<string, unknown> = {}) {
  const e = PROVISION_ERRORS[error];
  return sendJson(reply, e.status, { code: e.code, message: e.message, ...extra });
}

function bearerToken(request: FastifyRequest): string {
  const header = request.headers.authorization;
  if (!header) throw new AuthError(401, 'invalid_token', 'no access token provided');
  const match = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/i.exec(header);
  if (!match?.[1])
    throw new AuthError(401, 'invalid_token', 'the Authorization header must be "Bearer <access token>"');
  return match[1];
}

/** The body as the five string fields, or undefined when it is anything else. */
function rawBody(body: unknown): RawProvision | undefined {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return undefined;
  const names = new Set<string>(PROVISION_FIELDS.map((f) => f.field));
  const raw: RawProvision = {};
  for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
    if (!names.has(key) || typeof value !== 'string') return undefined;
    raw[key as keyof RawProvision] = value;
  }
  return raw;
}

export function registerProvisionApi(app: FastifyInstance, deps: ProvisionApiDeps): void {
  const verify = createOwnJwtVerifier(deps);
  const audience = USERS_API_RESOURCE(deps.issuer);

  /** The approved, active supplier the token was issued to. */
  async function caller(request: FastifyRequest): Promise<{ clientId: string; odsCode: string }> {
    const payload = await verify(bearerToken(request), { audience });
    if (!payload) throw new AuthError(401, 'invalid_token', 'invalid access token');
    const clientId = typeof payload.client_id === 'string' ? payload.client_id : undefined;
    const supplier = clientId ? await findSupplier(deps.db, clientId) : undefined;
    // A suspended supplier's tokens stop working at once.
    if (!clientId || !supplier || supplier.metadata.suspended)
      throw new AuthError(401, 'invalid_token', 'invalid access token');
    const approval = supplier.metadata.provisioning;
    if (!approval) {
      await deps.audit.record({
        code: AUDIT_EVENTS.PROVISION_REFUSED,
        clientId,
        ip: request.ip,
        details: { clientId, error: 'not_approved' },
      });
      throw new AuthError(403, 'not_approved', 'this supplier is not approved for the Provision Account API');
    }
    return { clientId, odsCode: approval.ods_code };
  }

  void app.register((scope, _options, done) => {
    // A body that is not JSON (or too big) is a malformed request, answered in the API's own shape.
    scope.setErrorHandler((error: { statusCode?: number }, request, reply) => {
      const status = error.statusCode ?? 500;
      if (status >= 400 && status < 500) {
        const e = PROVISION_ERRORS.malformed;
        return sendJson(reply, status === 413 ? 413 : status === 415 ? 415 : 400, {
          code: e.code,
          message: status === 415 ? 'send the body as application/json' : e.message,
        });
      }
      request.log.error({ err: error }, 'provision-account failed');
      return sendJson(reply, 500, {
        code: 'server_error',
        message: 'something went wrong: nothing was done',
      });
    });

    scope.post(PROVISION_PATH, async (request, reply) => {
      let who: { clientId: string; odsCode: string };
      try {
        who = await caller(request);
      } catch (e) {
        if (!(e instanceof AuthError)) throw e;
        const error = e.code === 'invalid_token' ? ', error="invalid_token"' : '';
        void reply.header('WWW-Authenticate', `Bearer realm="${deps.issuer}"${error}`);
        return sendJson(reply, e.status, { code: e.code, message: e.message });
      }
      const refused = async (error: ProvisionError, extra: Record<string, unknown> = {}) => {
        await deps.audit.record({
          code: AUDIT_EVENTS.PROVISION_REFUSED,
          clientId: who.clientId,
          ip: request.ip,
          details: { clientId: who.clientId, error, ...extra },
        });
        return sendError(reply, error, 'errors' in extra ? { errors: extra.errors } : {});
      };

      const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      const raw = type === 'application/json' ? rawBody(request.body) : undefined;
      if (!raw) return refused('malformed');
      const today = new Date().toISOString().slice(0, 10);
      const parsed = parseProvision(raw, today);
      if (!parsed.ok) {
        const errors = parsed.error.map((p) => ({
          field: p.field,
          code: PROVISION_ERRORS[p.error].code,
          message: PROVISION_ERRORS[p.error].message,
        }));
        // The code of the first field at fault; each field's in `errors`.
        return refused(parsed.error[0]!.error, { errors });
      }
      const details = parsed.value;
      if (details.odsCode !== who.odsCode) return refused('wrongOrganisation');

      // The organisation attests its own face-to-face check: scored as a vouch by a
      // trusted organisation (gpg45-routes.ts scoreInPerson), since the API carries no document.
      const gpg45 = gpg45Record(
        scoreInPerson({
          method: 'vouch',
          pds: 'matched',
          odsCode: details.odsCode,
          knowsPerson: true,
          checkedHealthRecord: true,
        }),
      );
      const result = await provision(deps, {
        details,
        requester: { clientId: who.clientId },
        evidence: { document: null, lastFour: null, method: 'organisation-attested', gpg45 },
        ip: request.ip,
        log: request.log,
      });
      if (!result.ok) {
        if (result.error === 'tooMany') void reply.header('Retry-After', '3600');
        return sendError(reply, result.error);
      }
      return sendJson(reply, 201, { outcome: result.outcome, request_id: result.requestId });
    });
    done();
  });
}
