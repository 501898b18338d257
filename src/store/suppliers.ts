// Suppliers (relying parties): registered, changed and removed by operators.
// Every write goes through the registration rules first.
import { sql } from 'kysely';
import { publicKeyToJwk } from '../oidc/clients.js';
import {
  DEFAULT_ALLOWED_VECTORS,
  checkAllowedVectors,
  checkAssertionAlgs,
  checkRedirectUris,
  checkScopes,
} from '../domain/supplier-registration.js';
import { err, ok, type Result } from '../domain/result.js';
import type { Db } from './db.js';
import type { Supplier, SupplierMetadata } from './schema.js';

export interface SupplierInput {
  clientId: string;
  name: string;
  /** PEM public keys (each becomes a kid-less JWK), or a JWKS URL. */
  publicKeysPem?: string[];
  jwksUri?: string;
  /** Keys already held (when changing a supplier without new PEMs). */
  jwks?: { keys: Record<string, unknown>[] };
  redirectUris: string[];
  scopes: string[];
  allowedVectors?: string[];
  ssoPartners?: string[];
  clientAssertionAlgs?: string[];
  postLogoutRedirectUris?: string[];
  backchannelLogoutUri?: string;
  sandpit?: boolean;
  /** Approved for the Users (SCIM) API. */
  usersApi?: boolean;
}

const CLIENT_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

export function buildSupplierMetadata(input: SupplierInput): Result<SupplierMetadata, string> {
  if (!CLIENT_ID.test(input.clientId))
    return err('client_id must be 1-100 letters, digits, dots, hyphens or underscores');
  if (!input.name.trim()) return err('A name is needed');
  const redirects = checkRedirectUris(input.redirectUris);
  if (!redirects.ok) return redirects;
  const scopes = checkScopes(input.scopes);
  if (!scopes.ok) return scopes;
  const vectors = checkAllowedVectors(input.allowedVectors ?? DEFAULT_ALLOWED_VECTORS);
  if (!vectors.ok) return vectors;
  const algs = checkAssertionAlgs(input.clientAssertionAlgs ?? []);
  if (!algs.ok) return algs;
  const postLogout = input.postLogoutRedirectUris?.length
    ? checkRedirectUris(input.postLogoutRedirectUris)
    : ok([]);
  if (!postLogout.ok) return postLogout;
  if (input.backchannelLogoutUri) {
    const b = checkRedirectUris([input.backchannelLogoutUri]);
    if (!b.ok) return err(`Back-channel logout URI: ${b.error}`);
  }
  const metadata: SupplierMetadata = {
    redirect_uris: redirects.value,
    scope: scopes.value.join(' '),
    allowed_vtr: vectors.value,
    sso_partners: [...new Set(input.ssoPartners ?? [])],
    client_assertion_algs: algs.value,
    sandpit: input.sandpit ?? false,
    users_api: input.usersApi ?? false,
  };
  if (postLogout.value.length) metadata.post_logout_redirect_uris = postLogout.value;
  if (input.backchannelLogoutUri) metadata.backchannel_logout_uri = input.backchannelLogoutUri;
  if (input.jwksUri) {
    const j = checkRedirectUris([input.jwksUri]);
    if (!j.ok) return err(`JWKS URL: ${j.error}`);
    metadata.jwks_uri = input.jwksUri;
  } else if (input.jwks && !input.publicKeysPem?.length) {
    metadata.jwks = input.jwks;
  } else {
    const keys = [];
    for (const pem of input.publicKeysPem ?? []) {
      const jwk = publicKeyToJwk(pem);
      if (!jwk.ok) return jwk;
      keys.push(jwk.value);
    }
    if (!keys.length) return err('A public key (PEM) or a JWKS URL is needed');
    metadata.jwks = { keys };
  }
  return ok(metadata);
}

export async function saveSupplier(db: Db, input: SupplierInput): Promise<Result<Supplier, string>> {
  const metadata = buildSupplierMetadata(input);
  if (!metadata.ok) return metadata;
  const json = JSON.stringify(metadata.value);
  const row = await db
    .insertInto('suppliers')
    .values({ client_id: input.clientId, name: input.name.trim(), metadata: json })
    .onConflict((oc) =>
      oc.column('client_id').doUpdateSet({ name: input.name.trim(), metadata: json, updated_at: sql`now()` }),
    )
    .returningAll()
    .executeTakeFirstOrThrow();
  return ok(row);
}

export async function findSupplier(db: Db, clientId: string): Promise<Supplier | undefined> {
  return db.selectFrom('suppliers').selectAll().where('client_id', '=', clientId).executeTakeFirst();
}

export async function listSuppliers(db: Db): Promise<Supplier[]> {
  return db.selectFrom('suppliers').selectAll().orderBy('client_id').execute();
}

export async function removeSupplier(db: Db, clientId: string): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const r = await trx.deleteFrom('suppliers').where('client_id', '=', clientId).executeTakeFirst();
    // Its grants, codes and tokens go with it.
    await trx
      .deleteFrom('oidc_payloads')
      .where(sql<string>`payload->>'clientId'`, '=', clientId)
      .execute();
    return r.numDeletedRows > 0n;
  });
}

/** Reads an existing supplier back into the input shape, so a change can be applied to it. */
export function supplierToInput(s: Supplier): SupplierInput {
  const m = s.metadata;
  return {
    clientId: s.client_id,
    name: s.name,
    redirectUris: m.redirect_uris,
    scopes: m.scope.split(' '),
    allowedVectors: m.allowed_vtr,
    ssoPartners: m.sso_partners,
    clientAssertionAlgs: m.client_assertion_algs,
    ...(m.jwks_uri ? { jwksUri: m.jwks_uri } : {}),
    ...(m.jwks ? { jwks: m.jwks } : {}),
    ...(m.post_logout_redirect_uris ? { postLogoutRedirectUris: m.post_logout_redirect_uris } : {}),
    ...(m.backchannel_logout_uri ? { backchannelLogoutUri: m.backchannel_logout_uri } : {}),
    sandpit: m.sandpit ?? false,
    usersApi: m.users_api ?? false,
  };
}
