// The Users (SCIM 2.0, read-only) interface: `GET /v2/Users?filter=...`
// finds accounts by NHS number or email for an approved supplier. The bearer
// token comes from the jwt-bearer grant (oidc/users-api-grant.ts): our RS512
// signature, audience `<issuer>/v2/Users`, unexpired, with the
// `<issuer>/Users.retrieve` scope. The supplier must still be approved when it
// searches; a sandpit supplier only ever finds test people. Every search is
// rate limited per supplier and audited (how many expressions and results,
// never the NHS numbers or emails). Errors are SCIM errors (RFC 7644 §3.12).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { JWK } from 'jose';
import type { RateLimits } from '../adapters/rate-limits.js';
import { AUDIT_EVENTS } from '../audit/events.js';
import type { AuditLog } from '../audit/log.js';
import { personFromAccount } from '../oidc/account.js';
import { USERS_API_RESOURCE, USERS_RETRIEVE_SCOPE } from '../oidc/users-api-grant.js';
import { createOwnJwtVerifier } from '../oidc/userinfo.js';
import { findAccountsByNhsNumberOrEmail } from '../store/accounts.js';
import type { Db } from '../store/db.js';
import type { Sealer } from '../store/encryption.js';
import { findSupplier } from '../store/suppliers.js';
import { parseUsersFilter } from './filter.js';
import { SCIM_ERROR, listResponse, scimUser } from './resource.js';

export interface UsersApiDeps {
  issuer: string;
  db: Db;
  sealer: Sealer;
  audit: AuditLog;
  limits: RateLimits;
  /** The provider's current keys; reloaded when a token names a kid we do not know. */
  signingKeys: () => Promise<JWK[]>;
}

const SCIM_JSON = 'application/scim+json';

class ScimError extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 405 | 429,
    readonly detail: string,
    readonly scimType?: 'invalidFilter',
    /** The RFC 6750 error for the WWW-Authenticate challenge (401 and 403). */
    readonly bearerError?: 'invalid_token' | 'insufficient_scope',
  ) {
    super(detail);
  }
}

function sendScim(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply
    .code(status)
    .header('Content-Type', SCIM_JSON)
    .header('Cache-Control', 'no-store')
    .header('Pragma', 'no-cache')
    .send(JSON.stringify(body));
}

function sendError(reply: FastifyReply, issuer: string, e: ScimError): FastifyReply {
  if (e.status === 401 || e.status === 403) {
    const error = e.bearerError ? `, error="${e.bearerError}"` : '';
    void reply.header('WWW-Authenticate', `Bearer realm="${issuer}"${error}`);
  }
  return sendScim(reply, e.status, {
    schemas: [SCIM_ERROR],
    ...(e.scimType ? { scimType: e.scimType } : {}),
    detail: e.detail,
    status: String(e.status),
  });
}

function bearerToken(request: FastifyRequest): string {
  const header = request.headers.authorization;
  if (!header) throw new ScimError(401, 'no access token provided');
  const match = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/i.exec(header);
  if (!match?.[1]) throw new ScimError(401, 'the Authorization header must be "Bearer <access token>"');
  return match[1];
}

export function registerUsersApi(app: FastifyInstance, deps: UsersApiDeps): void {
  const verify = createOwnJwtVerifier(deps);
  const audience = USERS_API_RESOURCE(deps.issuer);
  const usersRetrieve = USERS_RETRIEVE_SCOPE(deps.issuer);

  app.get('/v2/Users', async (request, reply) => {
    try {
      const payload = await verify(bearerToken(request), { audience });
      if (!payload) throw new ScimError(401, 'invalid access token', undefined, 'invalid_token');
      const scopes = typeof payload.scope === 'string' ? payload.scope.split(' ') : [];
      if (!scopes.includes(usersRetrieve)) {
        throw new ScimError(
          403,
          `the access token lacks the ${usersRetrieve} scope`,
          undefined,
          'insufficient_scope',
        );
      }
      const clientId = typeof payload.client_id === 'string' ? payload.client_id : undefined;
      const supplier = clientId ? await findSupplier(deps.db, clientId) : undefined;
      // A suspended supplier's tokens stop working at once (its new ones are refused at /token).
      if (!clientId || !supplier || supplier.metadata.suspended)
        throw new ScimError(401, 'invalid access token', undefined, 'invalid_token');
      if (!supplier.metadata.users_api)
        throw new ScimError(403, 'this supplier is not approved for the Users API');

      const limit = await deps.limits.hit('usersApiQueriesPerSupplier', clientId);
      if (!limit.allowed) {
        void reply.header('Retry-After', String(limit.retryAfterSeconds));
        throw new ScimError(429, `too many searches: try again in ${limit.retryAfterSeconds} seconds`);
      }

      const { filter } = request.query as { filter?: unknown };
      if (filter !== undefined && typeof filter !== 'string') {
        throw new ScimError(400, 'give one filter parameter', 'invalidFilter');
      }
      const parsed = parseUsersFilter(filter ?? '');
      if (!parsed.ok) throw new ScimError(400, parsed.error, 'invalidFilter');
      const nhsNumbers = parsed.value.filter((e) => e.attribute === 'nhsnumber').map((e) => e.value);
      const emails = parsed.value.filter((e) => e.attribute === 'email').map((e) => e.value);
      const sandpit = supplier.metadata.sandpit === true;
      const accounts = await findAccountsByNhsNumberOrEmail(deps.db, {
        nhsNumberHashes: [...new Set(nhsNumbers)].map((n) => deps.sealer.lookupHash(n)),
        emails: [...new Set(emails)],
        testPeopleOnly: sandpit,
      });
      const resources = accounts.map((a) => scimUser(personFromAccount(a, deps.sealer), scopes));

      await deps.audit.record({
        code: AUDIT_EVENTS.USERS_API_QUERY,
        clientId,
        ip: request.ip,
        details: {
          token: payload.jti,
          expressions: parsed.value.length,
          nhsNumbers: nhsNumbers.length,
          emails: emails.length,
          results: resources.length,
          ...(sandpit ? { sandpit: true } : {}),
        },
      });
      return sendScim(reply, 200, listResponse(resources));
    } catch (e) {
      if (e instanceof ScimError) return sendError(reply, deps.issuer, e);
      throw e;
    }
  });

  // Read only, and found only by searching: anything else under /v2 gets a
  // SCIM error, whatever body it sends (so the body is not parsed).
  void app.register((scope, _options, done) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, _payload, parsed) => parsed(null));
    scope.all('/v2/*', (request, reply) => {
      if (request.url.split('?')[0] === '/v2/Users') {
        void reply.header('Allow', 'GET');
        return sendError(reply, deps.issuer, new ScimError(405, 'the Users interface is read only: use GET'));
      }
      return sendError(
        reply,
        deps.issuer,
        new ScimError(404, 'not found: search with GET /v2/Users?filter=...'),
      );
    });
    done();
  });
}
