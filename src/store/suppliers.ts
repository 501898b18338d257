// Suppliers (relying parties): registered, changed, suspended and removed by
// operators (the CLI and the back office). Every write goes through the
// registration rules first. The requests that sign people in read suppliers
// through findSupplierCached (a few seconds' cache per instance, emptied by
// every write here), so a change applies at once on the instance that made
// it and within SUPPLIER_CACHE_MS on every other.
import { sql } from 'kysely';
import { keyThumbprints, publicKeyToJwk } from '../oidc/clients.js';
import {
  DEFAULT_ALLOWED_VECTORS,
  GP_INTEGRATION_SCOPE,
  checkAllowedVectors,
  checkAssertionAlgs,
  checkClientId,
  checkRedirectUris,
  checkScopes,
} from '../domain/supplier-registration.js';
import { err, ok, type Result } from '../domain/result.js';
import type { Db } from './db.js';
import type { Supplier, SupplierApproval, SupplierMetadata, SupplierSuspension } from './schema.js';

/** An organisation's ODS code, as approved for the Provision Account API. */
const PROVISIONING_ODS_CODE = /^[A-Z0-9]{3,6}$/;

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
  /** Approved for the Provision Account API, for this organisation's ODS code; absent when not. */
  provisioningOdsCode?: string;
  /**
   * The GP integration approval behind gp_integration_credentials (kept only
   * while that scope is approved). Whether one is needed is decided by
   * checkGpIntegrationApproval, by whoever takes the operator's input.
   */
  gpIntegrationApproval?: SupplierApproval;
}

export function buildSupplierMetadata(input: SupplierInput): Result<SupplierMetadata, string> {
  const clientId = checkClientId(input.clientId);
  if (!clientId.ok) return clientId;
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
  if (input.provisioningOdsCode !== undefined) {
    const odsCode = input.provisioningOdsCode.trim().toUpperCase();
    if (!PROVISIONING_ODS_CODE.test(odsCode))
      return err('Provisioning: the ODS code must be 3 to 6 letters and digits, like A12345');
    metadata.provisioning = { ods_code: odsCode };
  }
  if (input.gpIntegrationApproval && scopes.value.includes(GP_INTEGRATION_SCOPE)) {
    metadata.gp_integration_approval = input.gpIntegrationApproval;
  }
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
  // RS512, which every supplier signs with, needs an RSA key; an EC key is
  // usable only by a supplier allowed ES256.
  if (metadata.jwks?.keys.some((k) => k.kty === 'EC') && !algs.value.includes('ES256')) {
    return err(
      'EC P-256 keys can only be registered for a supplier allowed ES256 assertions; RS512 needs an RSA key of 2048 bits or more',
    );
  }
  return ok(metadata);
}

/**
 * Registers or changes a supplier. A suspension is not part of the input:
 * saving keeps whatever suspension the stored supplier has (only
 * setSupplierSuspension changes it), so a change made from a page loaded
 * before someone suspended the supplier cannot lift the suspension.
 * With `create`, an existing client id is left alone and refused.
 */
export async function saveSupplier(
  db: Db,
  input: SupplierInput,
  options: { create?: boolean } = {},
): Promise<Result<Supplier, string>> {
  const metadata = buildSupplierMetadata(input);
  if (!metadata.ok) return metadata;
  const json = JSON.stringify(metadata.value);
  const row = await changingSupplier(db, input.clientId, () =>
    db
      .insertInto('suppliers')
      .values({ client_id: input.clientId, name: input.name.trim(), metadata: json })
      .onConflict((oc) =>
        options.create
          ? oc.column('client_id').doNothing()
          : oc.column('client_id').doUpdateSet({
              name: input.name.trim(),
              metadata: sql`case when suppliers.metadata->'suspended' is null then excluded.metadata
              else excluded.metadata || jsonb_build_object('suspended', suppliers.metadata->'suspended') end`,
              updated_at: sql`now()`,
            }),
      )
      .returningAll()
      .executeTakeFirst(),
  );
  if (!row) return err(`A supplier with client id ${input.clientId} already exists`);
  return ok(row);
}

/**
 * Suspends a supplier (with the reason, who and when) or, given null, resumes
 * it. Answers the changed supplier, or undefined when there is no such
 * supplier or it already was in that state.
 */
export async function setSupplierSuspension(
  db: Db,
  clientId: string,
  suspension: SupplierSuspension | null,
): Promise<Supplier | undefined> {
  return changingSupplier(db, clientId, () =>
    db
      .updateTable('suppliers')
      .set({
        metadata: suspension
          ? sql`metadata || jsonb_build_object('suspended', ${JSON.stringify(suspension)}::jsonb)`
          : sql`metadata - 'suspended'`,
        updated_at: sql`now()`,
      })
      .where('client_id', '=', clientId)
      .where(sql<boolean>`(metadata->'suspended' is null) = ${suspension !== null}`)
      .returningAll()
      .executeTakeFirst(),
  );
}

export async function findSupplier(db: Db, clientId: string): Promise<Supplier | undefined> {
  return db.selectFrom('suppliers').selectAll().where('client_id', '=', clientId).executeTakeFirst();
}

/**
 * How long an instance may answer from its copy of a supplier: the longest a
 * change made elsewhere (another instance, the CLI) takes to reach it. Saves
 * a query on every /authorize, /token, refresh and userinfo request.
 */
export const SUPPLIER_CACHE_MS = 5_000;

interface SupplierCache {
  /** client id → supplier and when it was read. */
  copies: Map<string, { supplier: Supplier; readAt: number }>;
  /** client id → when this instance last changed it: a read begun before then is not kept. */
  changedAt: Map<string, number>;
}

/** Per database: tests run many services in one process. */
const supplierCaches = new WeakMap<Db, SupplierCache>();

function cacheFor(db: Db): SupplierCache {
  let cache = supplierCaches.get(db);
  if (!cache) supplierCaches.set(db, (cache = { copies: new Map(), changedAt: new Map() }));
  return cache;
}

/**
 * A supplier for a request on the sign-in path: from this instance's cache
 * when read in the last SUPPLIER_CACHE_MS, else from the database. Unknown
 * client ids are not cached (anyone can send any number of them). The answer
 * is shared: read it, never change it. Forms that edit suppliers use
 * findSupplier, which always reads the database.
 */
export async function findSupplierCached(db: Db, clientId: string): Promise<Supplier | undefined> {
  const cache = cacheFor(db);
  const hit = cache.copies.get(clientId);
  if (hit && Date.now() - hit.readAt < SUPPLIER_CACHE_MS) return hit.supplier;
  const readAt = Date.now();
  const supplier = await findSupplier(db, clientId);
  // A change made here while this read was under way wins: the read may have seen the old row.
  if (supplier && readAt > (cache.changedAt.get(clientId) ?? 0))
    cache.copies.set(clientId, { supplier, readAt });
  else cache.copies.delete(clientId);
  return supplier;
}

/**
 * Every write below runs inside this, so this instance's next request reads
 * the change and no read that overlapped the write keeps the old row.
 */
async function changingSupplier<T>(db: Db, clientId: string, write: () => Promise<T>): Promise<T> {
  const cache = cacheFor(db);
  try {
    return await write();
  } finally {
    cache.copies.delete(clientId);
    cache.changedAt.set(clientId, Date.now());
  }
}

export async function listSuppliers(db: Db): Promise<Supplier[]> {
  return db.selectFrom('suppliers').selectAll().orderBy('client_id').execute();
}

export async function removeSupplier(db: Db, clientId: string): Promise<boolean> {
  return changingSupplier(db, clientId, () =>
    db.transaction().execute(async (trx) => {
      const r = await trx.deleteFrom('suppliers').where('client_id', '=', clientId).executeTakeFirst();
      // Its grants, codes and tokens go with it.
      await trx
        .deleteFrom('oidc_payloads')
        .where(sql<string>`payload->>'clientId'`, '=', clientId)
        .execute();
      return r.numDeletedRows > 0n;
    }),
  );
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
    ...(m.provisioning ? { provisioningOdsCode: m.provisioning.ods_code } : {}),
    ...(m.gp_integration_approval ? { gpIntegrationApproval: m.gp_integration_approval } : {}),
  };
}

/**
 * The names of the fields whose stored value differs (metadata keys, and
 * `name`); a suspension is not a change of configuration and is left out.
 */
export function changedFields(before: Supplier, after: Supplier): string[] {
  const fields: string[] = before.name === after.name ? [] : ['name'];
  const a = before.metadata as unknown as Record<string, unknown>;
  const b = after.metadata as unknown as Record<string, unknown>;
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
    if (key === 'suspended') continue;
    if (JSON.stringify(a[key]) !== JSON.stringify(b[key])) fields.push(key);
  }
  return fields;
}

/** A field's stored value for the audit log: keys as thumbprints, never whole keys. */
export async function auditValue(s: Supplier, field: string): Promise<unknown> {
  if (field === 'name') return s.name;
  if (field === 'jwks') return keyThumbprints(s);
  return (s.metadata as unknown as Record<string, unknown>)[field];
}

/** What an audit entry of a change records: the fields changed, and their values before and after. */
export async function describeChange(
  before: Supplier,
  after: Supplier,
): Promise<{ changed: string[]; before: Record<string, unknown>; after: Record<string, unknown> }> {
  const changed = changedFields(before, after);
  const was: Record<string, unknown> = {};
  const now: Record<string, unknown> = {};
  for (const field of changed) {
    was[field] = await auditValue(before, field);
    now[field] = await auditValue(after, field);
  }
  return { changed, before: was, after: now };
}

/** What an audit entry of a registration records about the new supplier. */
export async function describeRegistration(s: Supplier): Promise<Record<string, unknown>> {
  const m = s.metadata;
  return {
    name: s.name,
    redirect_uris: m.redirect_uris,
    scope: m.scope,
    allowed_vtr: m.allowed_vtr,
    sso_partners: m.sso_partners,
    client_assertion_algs: m.client_assertion_algs,
    keys: m.jwks_uri ?? (await keyThumbprints(s)),
    sandpit: m.sandpit ?? false,
    users_api: m.users_api ?? false,
    ...(m.provisioning ? { provisioning: m.provisioning } : {}),
    ...(m.gp_integration_approval ? { gp_integration_approval: m.gp_integration_approval } : {}),
  };
}
