// The provider's own signing keys: made on first start, kept encrypted in the
// database, published in the JWKS, and rotated by an operator command.
// Rotation makes a new key the signing key at once and keeps the old one
// published until every token it signed has expired, so nothing already
// issued stops verifying. Relying parties refetch the JWKS on an unknown kid.
import { generateKeyPairSync } from 'node:crypto';
import { calculateJwkThumbprint, type JWK } from 'jose';
import type { Db } from '../store/db.js';
import type { Sealer } from '../store/encryption.js';

export const SIGNING_ALG = 'RS512';
/** Longest life of anything we sign (the ID token, 60 min) plus clock skew. */
const KEEP_PUBLISHED_MS = 2 * 60 * 60 * 1000;

async function newSigningKey(): Promise<{ kid: string; jwk: JWK }> {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' }) as JWK;
  const kid = await calculateJwkThumbprint(jwk);
  return { kid, jwk: { ...jwk, kid, alg: SIGNING_ALG, use: 'sig' } };
}

/** Makes the first signing key if there is none. Safe to call from several instances at once. */
export async function ensureSigningKey(db: Db, sealer: Sealer): Promise<void> {
  const active = await db
    .selectFrom('signing_keys')
    .select('kid')
    .where('status', '=', 'active')
    .executeTakeFirst();
  if (active) return;
  const { kid, jwk } = await newSigningKey();
  // The unique index on the active key decides the race: one insert wins, the others do nothing.
  await db
    .insertInto('signing_keys')
    .values({ kid, private_jwk: sealer.seal(JSON.stringify(jwk)), status: 'active', superseded_at: null })
    .onConflict((oc) => oc.doNothing())
    .execute();
}

/** The private keys the provider holds: the signing key first (oidc-provider signs with the first match). */
export async function loadSigningKeys(db: Db, sealer: Sealer): Promise<JWK[]> {
  const rows = await db
    .selectFrom('signing_keys')
    .selectAll()
    .where('status', 'in', ['active', 'published'])
    .orderBy('status', 'asc') // 'active' < 'published'
    .orderBy('created_at', 'desc')
    .execute();
  return rows.map((r) => {
    try {
      return JSON.parse(sealer.open(r.private_jwk)) as JWK;
    } catch (e) {
      throw new Error(
        `signing key ${r.kid} cannot be opened with this ENCRYPTION_KEY: every instance needs the key the ` +
          'database was first started with (README, "Secrets")',
        { cause: e },
      );
    }
  });
}

/** A fingerprint of the key set, so instances can tell when another one rotated. */
export async function signingKeysVersion(db: Db): Promise<string> {
  const rows = await db.selectFrom('signing_keys').select(['kid', 'status']).orderBy('kid').execute();
  return rows.map((r) => `${r.kid}:${r.status}`).join(',');
}

export async function rotateSigningKeys(
  db: Db,
  sealer: Sealer,
  now = new Date(),
): Promise<{ kid: string; retired: string[] }> {
  const { kid, jwk } = await newSigningKey();
  return db.transaction().execute(async (trx) => {
    const retired = await trx
      .updateTable('signing_keys')
      .set({ status: 'retired' })
      .where('status', '=', 'published')
      .where('superseded_at', '<', new Date(now.getTime() - KEEP_PUBLISHED_MS))
      .returning('kid')
      .execute();
    await trx
      .updateTable('signing_keys')
      .set({ status: 'published', superseded_at: now })
      .where('status', '=', 'active')
      .execute();
    await trx
      .insertInto('signing_keys')
      .values({ kid, private_jwk: sealer.seal(JSON.stringify(jwk)), status: 'active', superseded_at: null })
      .execute();
    return { kid, retired: retired.map((r) => r.kid) };
  });
}

/** Public halves by kid (a thumbprint: one key, one kid), so each key is decrypted once per process. */
const publicByKid = new Map<string, JWK>();

/**
 * The key set to publish now, read from the database: every instance
 * publishes a key from the moment it exists, whichever key it signs with
 * itself (see provider.ts). Only the kids are read each time.
 */
export async function publishedJwks(db: Db, sealer: Sealer): Promise<{ keys: JWK[] }> {
  const rows = await db
    .selectFrom('signing_keys')
    .select(['kid', 'private_jwk'])
    .where('status', 'in', ['active', 'published'])
    .orderBy('status', 'asc')
    .orderBy('created_at', 'desc')
    .execute();
  return {
    keys: rows.map((r) => {
      let key = publicByKid.get(r.kid);
      if (!key) {
        key = publicJwks([JSON.parse(sealer.open(r.private_jwk)) as JWK]).keys[0]!;
        publicByKid.set(r.kid, key);
      }
      return key;
    }),
  };
}

export function publicJwks(keys: JWK[]): { keys: JWK[] } {
  return {
    keys: keys.map(({ kty, n, e, kid, alg, use }) => ({ kty, n, e, kid, alg, use })),
  };
}
