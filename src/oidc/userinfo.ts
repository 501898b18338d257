// /userinfo: GET returns the person's claims (unsigned JSON) for the scopes
// the access token carries and the level the person has reached; PATCH sets
// the supplier's own `client_user_metadata` for this person.
import { constants, publicEncrypt, randomBytes, createPublicKey } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createLocalJWKSet, jwtVerify, type JWK, type JWTPayload } from 'jose';
import { claimsFor } from '../domain/claims.js';
import { AUDIT_EVENTS } from '../audit/events.js';
import type { AuditLog } from '../audit/log.js';
import { findAccountById } from '../store/accounts.js';
import type { Db } from '../store/db.js';
import type { Sealer } from '../store/encryption.js';
import { findSupplierCached } from '../store/suppliers.js';
import { personFromAccount } from './account.js';
import { actingForClaim } from './acting-for.js';
import { delegationsClaim } from './delegations-claim.js';
import type { AccessTokenRecord, AdapterFactory } from './access-token.js';
import { publicJwks } from './signing-keys.js';

export interface UserinfoDeps {
  issuer: string;
  db: Db;
  sealer: Sealer;
  audit: AuditLog;
  /** The provider's current keys; reloaded when a token names a kid we do not know. */
  signingKeys: () => Promise<JWK[]>;
  adapter: AdapterFactory;
}

const METADATA_MAX = 1024;

class UserinfoError extends Error {
  constructor(
    readonly status: 400 | 401 | 403,
    readonly error: 'invalid_request' | 'invalid_token' | 'insufficient_scope',
    readonly description: string,
  ) {
    super(description);
  }
}

function send(reply: FastifyReply, issuer: string, e: UserinfoError): FastifyReply {
  const challenge = `Bearer realm="${issuer}", error="${e.error}", error_description="${e.description.replace(/"/g, "'")}"`;
  if (e.status !== 400) void reply.header('WWW-Authenticate', challenge);
  return reply
    .code(e.status)
    .header('Cache-Control', 'no-store')
    .send({ error: e.error, error_description: e.description });
}

function bearerToken(request: FastifyRequest): string {
  const header = request.headers.authorization;
  if (!header) throw new UserinfoError(400, 'invalid_request', 'no access token provided');
  // The scheme name is case-insensitive (RFC 7235); the token is RFC 6750 b64token.
  const match = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/i.exec(header);
  if (!match?.[1])
    throw new UserinfoError(
      400,
      'invalid_request',
      'the Authorization header must be "Bearer <access token>"',
    );
  return match[1];
}

/**
 * Verifies a JWT this service signed (RS512, our issuer, unexpired, and the
 * audience when one is given); undefined when it does not verify. Keys are
 * reloaded when a token names a kid we do not know: another instance may have
 * rotated them.
 */
export function createOwnJwtVerifier(deps: { issuer: string; signingKeys: () => Promise<JWK[]> }) {
  let jwks = createLocalJWKSet(publicJwks([]));
  let loadedAt = 0;
  const reload = async () => {
    jwks = createLocalJWKSet(publicJwks(await deps.signingKeys()));
    loadedAt = Date.now();
  };
  return async function verify(
    token: string,
    options: { audience?: string } = {},
  ): Promise<JWTPayload | undefined> {
    if (!loadedAt) await reload();
    try {
      const { payload } = await jwtVerify(token, jwks, {
        issuer: deps.issuer,
        algorithms: ['RS512'],
        ...(options.audience ? { audience: options.audience } : {}),
      });
      return payload;
    } catch (e) {
      // Look again at most every 10 s.
      if ((e as { code?: string }).code === 'ERR_JWKS_NO_MATCHING_KEY' && Date.now() - loadedAt > 10_000) {
        await reload();
        return verify(token, options);
      }
      return undefined;
    }
  };
}

export function createAccessTokenVerifier(deps: UserinfoDeps) {
  const verifyJwt = createOwnJwtVerifier(deps);
  return async function verify(token: string): Promise<{ payload: JWTPayload; record: AccessTokenRecord }> {
    const payload = await verifyJwt(token);
    if (!payload) throw new UserinfoError(401, 'invalid_token', 'invalid token provided');
    const record = payload.jti
      ? ((await deps.adapter('AccessToken').find(payload.jti)) as unknown as AccessTokenRecord | undefined)
      : undefined;
    if (!record || record.clientId !== payload.aud || record.accountId !== payload.sub) {
      throw new UserinfoError(401, 'invalid_token', 'invalid token provided');
    }
    // A supplier suspended since the token was issued loses it at once, not when it expires.
    const supplier = await findSupplierCached(deps.db, record.clientId);
    if (!supplier || supplier.metadata.suspended) {
      throw new UserinfoError(401, 'invalid_token', 'invalid token provided');
    }
    return { payload, record };
  };
}

/** NHS login's default metadata: a random value encrypted to the supplier's own key, base64url. */
function autoMetadata(jwks: { keys?: JWK[] } | undefined): string {
  const random = randomBytes(32);
  const rsa = jwks?.keys?.find((k) => k.kty === 'RSA');
  if (!rsa) return random.toString('base64url');
  const key = createPublicKey({ key: rsa as never, format: 'jwk' });
  return publicEncrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING }, random).toString('base64url');
}

async function supplierJwks(db: Db, clientId: string): Promise<{ keys?: JWK[] } | undefined> {
  const s = await db
    .selectFrom('suppliers')
    .select('metadata')
    .where('client_id', '=', clientId)
    .executeTakeFirst();
  return s?.metadata.jwks;
}

async function readMetadata(db: Db, accountId: string, clientId: string): Promise<string> {
  const row = await db
    .selectFrom('client_user_metadata')
    .select('value')
    .where('account_id', '=', accountId)
    .where('client_id', '=', clientId)
    .executeTakeFirst();
  if (row) return row.value;
  const value = autoMetadata(await supplierJwks(db, clientId));
  await writeMetadata(db, accountId, clientId, value);
  return value;
}

async function writeMetadata(db: Db, accountId: string, clientId: string, value: string): Promise<void> {
  await db
    .insertInto('client_user_metadata')
    .values({ account_id: accountId, client_id: clientId, value })
    .onConflict((oc) =>
      oc.columns(['account_id', 'client_id']).doUpdateSet({ value, updated_at: new Date() }),
    )
    .execute();
}

export function registerUserinfo(app: FastifyInstance, deps: UserinfoDeps): void {
  const verify = createAccessTokenVerifier(deps);

  app.get('/userinfo', async (request, reply) => {
    try {
      const { record } = await verify(bearerToken(request));
      const scopes = record.scope.split(' ');
      if (!scopes.includes('openid'))
        throw new UserinfoError(403, 'insufficient_scope', 'access token missing openid scope');
      const account = await findAccountById(deps.db, record.accountId);
      // Locked by support: its tokens stop working (the database adapter deletes them too; Redis may not).
      if (!account || account.locked_at)
        throw new UserinfoError(401, 'invalid_token', 'invalid token provided');
      const metadata = scopes.includes('client_metadata')
        ? await readMetadata(deps.db, record.accountId, record.clientId)
        : undefined;
      const person = personFromAccount(account, deps.sealer, metadata);
      if (scopes.includes('delegations')) {
        person.delegations = await delegationsClaim(deps.db, deps.sealer, account, scopes);
        person.acting_for = await actingForClaim(deps, account, record.grantId);
      }
      const claims = claimsFor(person, scopes);
      return reply
        .header('Cache-Control', 'no-store')
        .header('Pragma', 'no-cache')
        .send({ ...claims, sub: account.id });
    } catch (e) {
      if (e instanceof UserinfoError) return send(reply, deps.issuer, e);
      throw e;
    }
  });

  app.patch('/userinfo', async (request, reply) => {
    try {
      const { record } = await verify(bearerToken(request));
      if (!record.scope.split(' ').includes('client_metadata')) {
        throw new UserinfoError(403, 'insufficient_scope', 'access token missing client_metadata scope');
      }
      const body = request.body as Record<string, unknown> | undefined;
      const value = body?.client_user_metadata;
      if (typeof value !== 'string') {
        throw new UserinfoError(
          400,
          'invalid_request',
          'the body must be JSON with a client_user_metadata string',
        );
      }
      // Postgres text cannot hold NUL: refuse it here rather than fail the write with a 500.
      if (value.includes('\u0000')) {
        throw new UserinfoError(
          400,
          'invalid_request',
          'client_user_metadata must not contain NUL characters',
        );
      }
      if (value.length > METADATA_MAX) {
        throw new UserinfoError(
          400,
          'invalid_request',
          `client_user_metadata must be at most ${METADATA_MAX} characters`,
        );
      }
      const stored = value === 'auto' ? autoMetadata(await supplierJwks(deps.db, record.clientId)) : value;
      // "" is kept as the value (cleared), so a later read does not make a new one.
      await writeMetadata(deps.db, record.accountId, record.clientId, stored);
      await deps.audit.record({
        code: AUDIT_EVENTS.USERINFO_METADATA_CHANGED,
        accountId: record.accountId,
        clientId: record.clientId,
        ip: request.ip,
      });
      return reply.code(204).header('Cache-Control', 'no-store').send();
    } catch (e) {
      if (e instanceof UserinfoError) return send(reply, deps.issuer, e);
      throw e;
    }
  });
}
