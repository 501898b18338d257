// oidc-provider keeps its artifacts (sessions, interactions, codes, grants,
// refresh tokens, replay records) through this adapter, in the service's own
// database: one store to back up, and data that survives a restart. Suppliers
// (the `Client` model) are read from the suppliers table (through a cache of
// a few seconds, store/suppliers.ts), never written here: what an operator
// changes (CLI or back office) applies without a restart, and a suspended
// supplier is unknown.
import { sql } from 'kysely';
import Provider, { type Adapter, type AdapterPayload } from 'oidc-provider';
import type { Db } from '../store/db.js';
import { findSupplierCached } from '../store/suppliers.js';
import { supplierToClientMetadata } from './clients.js';
import { refuseSecondUse } from './consume-once.js';
import type { AddIfAbsent } from './replay-detection.js';

const GRANTABLE = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'ClientCredentials',
  'BackchannelAuthenticationRequest',
]);

/**
 * JSON.stringify replacer for jsonb: Postgres cannot store U+0000 in jsonb, so
 * a NUL anywhere in a request parameter the provider keeps (state, nonce,
 * login_hint, a logout state...) failed the request with a 500. It becomes
 * U+FFFD, as invalid bytes already do; a supplier whose state comes back
 * changed rejects the response, which is the right outcome for such a state.
 */
function withoutNul(_key: string, value: unknown): unknown {
  return typeof value === 'string' && value.includes('\u0000') ? value.replaceAll('\u0000', '\ufffd') : value;
}

/** Rows past their expiry are invisible to every read (purgeExpired deletes them later). */
const notExpired = (column: string) =>
  sql<boolean>`(${sql.ref(column)} is null or ${sql.ref(column)} > now())`;

/**
 * A refresh grant reads the refresh token and then, a moment later in the same
 * request, the grant it names. The token's read fetches that grant too (one
 * round trip instead of two) and keeps it here, under the request
 * (Provider.ctx), for that Grant.find only: the first read takes it, so any
 * later read in the request goes to the table.
 */
const grantsReadWithToken = new WeakMap<object, Map<string, AdapterPayload | undefined>>();

function takeGrantReadWithToken(id: string): { payload: AdapterPayload | undefined } | undefined {
  const read = Provider.ctx && grantsReadWithToken.get(Provider.ctx);
  if (!read?.has(id)) return undefined;
  const payload = read.get(id);
  read.delete(id);
  return { payload };
}

function withConsumed(payload: unknown, consumedAt: Date | string | null): AdapterPayload {
  return {
    ...(payload as AdapterPayload),
    ...(consumedAt ? { consumed: Math.floor(new Date(consumedAt).getTime() / 1000) } : {}),
  };
}

/**
 * Rotating a refresh token is "spend the old one, save its successor", two
 * calls from oidc-provider one after the other. The spend waits (under the
 * request, Provider.ctx) for the save, and both happen in one statement: one
 * round trip instead of two, and never a spent token without its successor
 * (a failed save used to leave the person with neither, signed out of the
 * supplier). A spend with no save after it is dropped with its request:
 * nothing was issued, so the old token may be tried again.
 */
const refreshTokensToSpend = new WeakMap<object, string>();

export class DbAdapter implements Adapter, AddIfAbsent {
  constructor(
    private readonly db: Db,
    private readonly name: string,
  ) {}

  async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
    if (this.name === 'Client')
      throw new Error('suppliers are managed with the CLI and the back office, not through the provider');
    const expiresAt = expiresIn ? new Date(Date.now() + expiresIn * 1000) : null;
    const spending =
      this.name === 'RefreshToken' && Provider.ctx ? refreshTokensToSpend.get(Provider.ctx) : undefined;
    if (spending) {
      refreshTokensToSpend.delete(Provider.ctx!);
      return this.rotateRefreshToken(spending, id, payload, expiresAt);
    }
    const row = {
      id,
      type: this.name,
      payload: JSON.stringify(payload, withoutNul),
      grant_id: GRANTABLE.has(this.name) ? (payload.grantId ?? null) : null,
      user_code: payload.userCode ?? null,
      uid: payload.uid ?? null,
      expires_at: expiresAt,
      consumed_at: null,
    };
    await this.db
      .insertInto('oidc_payloads')
      .values(row)
      .onConflict((oc) =>
        oc.columns(['id', 'type']).doUpdateSet({
          payload: row.payload,
          grant_id: row.grant_id,
          user_code: row.user_code,
          uid: row.uid,
          expires_at: row.expires_at,
          consumed_at: null,
        }),
      )
      .execute();
  }

  /** Stores unless a live row has this id (an expired one is replaced); true when it stored. */
  async addIfAbsent(id: string, payload: AdapterPayload, expiresIn: number): Promise<boolean> {
    const expiresAt = new Date(Date.now() + expiresIn * 1000);
    const stored = await this.db
      .insertInto('oidc_payloads')
      .values({ id, type: this.name, payload: JSON.stringify(payload, withoutNul), expires_at: expiresAt })
      .onConflict((oc) =>
        oc
          .columns(['id', 'type'])
          .doUpdateSet({ payload: (eb) => eb.ref('excluded.payload'), expires_at: expiresAt })
          .where('oidc_payloads.expires_at', '<=', sql<Date>`now()`),
      )
      .returning('id')
      .executeTakeFirst();
    return stored !== undefined;
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    // Ids arrive straight from requests (client_id, code, refresh_token, ...).
    // Postgres text cannot hold NUL, so no row can match one, and querying with
    // it fails the whole request (a 500): answer "not found" instead.
    if (id.includes('\u0000')) return undefined;
    if (this.name === 'Client') {
      const supplier = await findSupplierCached(this.db, id);
      // A suspended supplier is, to the provider, no client at all: invalid_client
      // at /authorize (an error page, never a redirect) and at /token.
      return supplier && !supplier.metadata.suspended ? supplierToClientMetadata(supplier) : undefined;
    }
    if (this.name === 'Grant') {
      const read = takeGrantReadWithToken(id);
      if (read) return read.payload;
    }
    if (this.name === 'RefreshToken' && Provider.ctx) return this.findRefreshTokenWithGrant(id, Provider.ctx);
    return this.findBy('id', id);
  }

  private async findRefreshTokenWithGrant(id: string, ctx: object): Promise<AdapterPayload | undefined> {
    const row = await this.db
      .selectFrom('oidc_payloads as t')
      .leftJoin('oidc_payloads as g', (join) =>
        join.onRef('g.id', '=', 't.grant_id').on('g.type', '=', 'Grant').on(notExpired('g.expires_at')),
      )
      .select([
        't.payload',
        't.consumed_at',
        't.grant_id',
        'g.payload as grant_payload',
        'g.consumed_at as grant_consumed_at',
      ])
      .where('t.id', '=', id)
      .where('t.type', '=', this.name)
      .where(notExpired('t.expires_at'))
      .executeTakeFirst();
    if (!row) return undefined;
    if (row.grant_id) {
      const read = grantsReadWithToken.get(ctx) ?? new Map<string, AdapterPayload | undefined>();
      read.set(
        row.grant_id,
        row.grant_payload ? withConsumed(row.grant_payload, row.grant_consumed_at) : undefined,
      );
      grantsReadWithToken.set(ctx, read);
    }
    return withConsumed(row.payload, row.consumed_at);
  }

  findByUid(uid: string): Promise<AdapterPayload | undefined> {
    return this.findBy('uid', uid);
  }

  findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    return this.findBy('user_code', userCode);
  }

  /** The spend and the save of a refresh token rotation, together (refreshTokensToSpend). */
  private async rotateRefreshToken(
    spentId: string,
    id: string,
    payload: AdapterPayload,
    expiresAt: Date | null,
  ): Promise<void> {
    const { rows } = await sql<{ id: string }>`
      with spent as (
        update oidc_payloads set consumed_at = ${new Date()}
        where id = ${spentId} and type = ${this.name} and consumed_at is null
        returning id
      )
      insert into oidc_payloads (id, type, payload, grant_id, expires_at)
      select ${id}, ${this.name}, ${JSON.stringify(payload, withoutNul)}::jsonb, ${payload.grantId ?? null}::text,
        ${expiresAt}::timestamptz
      from spent
      returning id`.execute(this.db);
    if (rows.length === 0) await refuseSecondUse(this.name, payload.grantId);
  }

  /** Marks it spent, once: a second request that got here at the same moment is refused (consume-once.ts). */
  async consume(id: string): Promise<void> {
    if (this.name === 'RefreshToken' && Provider.ctx) {
      refreshTokensToSpend.set(Provider.ctx, id);
      return;
    }
    const spent = await this.db
      .updateTable('oidc_payloads')
      .set({ consumed_at: new Date() })
      .where('id', '=', id)
      .where('type', '=', this.name)
      .where('consumed_at', 'is', null)
      .returning('id')
      .executeTakeFirst();
    if (spent) return;
    const row = await this.db
      .selectFrom('oidc_payloads')
      .select('grant_id')
      .where('id', '=', id)
      .where('type', '=', this.name)
      .executeTakeFirst();
    await refuseSecondUse(this.name, row?.grant_id ?? undefined);
  }

  async destroy(id: string): Promise<void> {
    await this.db.deleteFrom('oidc_payloads').where('id', '=', id).where('type', '=', this.name).execute();
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    await this.db
      .deleteFrom('oidc_payloads')
      .where('grant_id', '=', grantId)
      .where('type', '=', this.name)
      .execute();
  }

  private async findBy(
    column: 'id' | 'uid' | 'user_code',
    value: string,
  ): Promise<AdapterPayload | undefined> {
    // As in find: a NUL can never match a stored value, and Postgres rejects it.
    if (value.includes('\u0000')) return undefined;
    const row = await this.db
      .selectFrom('oidc_payloads')
      .select(['payload', 'consumed_at'])
      .where(column, '=', value)
      .where('type', '=', this.name)
      .where(notExpired('expires_at'))
      .executeTakeFirst();
    return row ? withConsumed(row.payload, row.consumed_at) : undefined;
  }
}

/** Deletes expired artifacts; run periodically (expired rows are already invisible to find). */
export async function purgeExpired(db: Db): Promise<number> {
  const result = await db.deleteFrom('oidc_payloads').where('expires_at', '<', new Date()).executeTakeFirst();
  return Number(result.numDeletedRows);
}
