// The same store tests on embedded Postgres (PGlite) and on a PostgreSQL
// server. The server tests run when one is reachable (DATABASE_URL, or the
// local default) and say so when they skip; CI sets REQUIRE_POSTGRES=1 so a
// missing server fails the run instead of skipping.
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createAuditLog, verifyChain } from '../src/audit/log.js';
import { AUDIT_EVENTS } from '../src/audit/events.js';
import { DbAdapter, purgeExpired } from '../src/oidc/adapter.js';
import { ensureSigningKey, loadSigningKeys, rotateSigningKeys } from '../src/oidc/signing-keys.js';
import {
  createAccount,
  deleteAccount,
  findAccountByEmail,
  recordServiceUsed,
  listServicesUsed,
} from '../src/store/accounts.js';
import { migrate, openDatabase, type OpenDatabase } from '../src/store/db.js';
import { createSealer } from '../src/store/encryption.js';
import {
  findSupplier,
  findSupplierCached,
  removeSupplier,
  saveSupplier,
  setSupplierSuspension,
  SUPPLIER_CACHE_MS,
} from '../src/store/suppliers.js';
import { newKeyPair } from './support/supplier.js';
import { dropSchema, POSTGRES_URL, postgresAvailable } from './support/postgres.js';

const reachable = await postgresAvailable('the PostgreSQL server store tests');

const sealer = createSealer(randomBytes(32).toString('base64'));

function storeSuite(
  name: string,
  open: () => Promise<OpenDatabase>,
  cleanup: () => Promise<void> = () => Promise.resolve(),
) {
  describe(name, () => {
    let store: OpenDatabase;
    beforeAll(async () => {
      store = await open();
      await migrate(store.db, store.schema);
    });
    afterAll(async () => {
      await store?.close();
      await cleanup();
    });

    it('applies migrations once, however often asked', async () => {
      expect(await migrate(store.db, store.schema)).toEqual([]);
    });

    it('keeps one account per email, whatever its case, without half-made rows', async () => {
      const base = { password_hash: 'h', phone_number: '+447700900123' };
      const a = await createAccount(store.db, { ...base, email: 'Case@Example.com' });
      expect(a?.proofing_level).toBe('P0');
      expect(await createAccount(store.db, { ...base, email: 'case@example.COM' })).toBeUndefined();
      expect((await findAccountByEmail(store.db, 'CASE@example.com'))?.id).toBe(a!.id);
      const count = await store.db
        .selectFrom('accounts')
        .select(store.db.fn.countAll().as('n'))
        .executeTakeFirstOrThrow();
      expect(Number(count.n)).toBe(1);
    });

    it('keeps one account per NHS number (by its keyed hash)', async () => {
      const base = {
        password_hash: 'h',
        phone_number: '+447700900124',
        nhs_number_hash: sealer.lookupHash('9000000009'),
      };
      expect(await createAccount(store.db, { ...base, email: 'first@example.com' })).toBeDefined();
      expect(await createAccount(store.db, { ...base, email: 'second@example.com' })).toBeUndefined();
    });

    it('stores provider artifacts: find, consume, expiry, revoke by grant', async () => {
      const codes = new DbAdapter(store.db, 'AuthorizationCode');
      await codes.upsert('c1', { grantId: 'g1', accountId: 'a' }, 60);
      await codes.upsert('c2', { grantId: 'g2' }, 60);
      await codes.upsert('old', { grantId: 'g1' }, 1);
      expect(await codes.find('c1')).toMatchObject({ grantId: 'g1' });
      await codes.consume('c1');
      expect((await codes.find('c1'))?.consumed).toEqual(expect.any(Number));
      // Spent once only: a second request that got as far as spending it is refused.
      await expect(codes.consume('c1')).rejects.toMatchObject({
        error: 'invalid_grant',
        error_detail: 'authorization code already consumed',
      });
      await expect(codes.consume('never-issued')).rejects.toMatchObject({ error: 'invalid_grant' });
      await codes.revokeByGrantId('g1');
      expect(await codes.find('c1')).toBeUndefined();
      expect(await codes.find('c2')).toBeDefined();
      // Another model's row with the same id is separate.
      const sessions = new DbAdapter(store.db, 'Session');
      await sessions.upsert('c2', { uid: 'u-1', accountId: 'a' }, 60);
      expect(await sessions.findByUid('u-1')).toMatchObject({ accountId: 'a' });
      await sessions.destroy('c2');
      expect(await sessions.find('c2')).toBeUndefined();
      expect(await codes.find('c2')).toBeDefined();
      await store.db
        .updateTable('oidc_payloads')
        .set({ expires_at: new Date(Date.now() - 1000) })
        .where('id', '=', 'c2')
        .execute();
      expect(await codes.find('c2')).toBeUndefined();
      expect(await purgeExpired(store.db)).toBeGreaterThanOrEqual(1);
    });

    it('stores a replay record once however many add it at once, and again once it has expired', async () => {
      const replays = new DbAdapter(store.db, 'ReplayDetection');
      const added = await Promise.all(
        Array.from({ length: 6 }, () => replays.addIfAbsent('jti-1', { iss: 'supplier' }, 60)),
      );
      expect(added.filter(Boolean)).toHaveLength(1);
      expect(await replays.find('jti-1')).toMatchObject({ iss: 'supplier' });
      await store.db
        .updateTable('oidc_payloads')
        .set({ expires_at: new Date(Date.now() - 1000) })
        .where('id', '=', 'jti-1')
        .execute();
      expect(await replays.addIfAbsent('jti-1', { iss: 'supplier' }, 60)).toBe(true);
      expect(await replays.addIfAbsent('jti-1', { iss: 'supplier' }, 60)).toBe(false);
    });

    it('reads suppliers as clients and never writes them through the provider', async () => {
      const saved = await saveSupplier(store.db, {
        clientId: 'store-test',
        name: 'Store test',
        publicKeysPem: [newKeyPair().publicKeyPem],
        redirectUris: ['https://rp.example/cb'],
        scopes: ['openid'],
      });
      expect(saved.ok).toBe(true);
      const clients = new DbAdapter(store.db, 'Client');
      expect(await clients.find('store-test')).toMatchObject({
        client_id: 'store-test',
        token_endpoint_auth_method: 'private_key_jwt',
      });
      await expect(clients.upsert('x', {}, 0)).rejects.toThrow();
    });

    it('answers suppliers from a cache of a few seconds that its own changes empty', async () => {
      const input = {
        clientId: 'cache-test',
        name: 'Cache test',
        publicKeysPem: [newKeyPair().publicKeyPem],
        redirectUris: ['https://rp.example/cb'],
        scopes: ['openid'],
      };
      expect((await saveSupplier(store.db, input)).ok).toBe(true);
      const clients = new DbAdapter(store.db, 'Client');
      // A read in the same millisecond as this instance's own change is not kept (it may predate it).
      await new Promise((resolve) => setTimeout(resolve, 2));
      expect(await clients.find('cache-test')).toBeDefined();
      // A change made elsewhere (another instance, the CLI): this instance sees it once its copy is old.
      await sql`update suppliers set name = 'Renamed elsewhere' where client_id = 'cache-test'`.execute(
        store.db,
      );
      expect((await findSupplierCached(store.db, 'cache-test'))?.name).toBe('Cache test');
      expect((await findSupplier(store.db, 'cache-test'))?.name).toBe('Renamed elsewhere');
      vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + SUPPLIER_CACHE_MS + 1 });
      try {
        expect((await findSupplierCached(store.db, 'cache-test'))?.name).toBe('Renamed elsewhere');
      } finally {
        vi.useRealTimers();
      }
      // A change made here applies to the very next request: a suspended supplier is no client at once.
      await setSupplierSuspension(store.db, 'cache-test', {
        reason: 'test',
        by: 'store test',
        at: new Date().toISOString(),
      });
      expect(await clients.find('cache-test')).toBeUndefined();
      await setSupplierSuspension(store.db, 'cache-test', null);
      expect(await clients.find('cache-test')).toBeDefined();
      await saveSupplier(store.db, { ...input, name: 'Renamed here' });
      expect((await findSupplierCached(store.db, 'cache-test'))?.name).toBe('Renamed here');
      await removeSupplier(store.db, 'cache-test');
      expect(await clients.find('cache-test')).toBeUndefined();
    });

    it('chains the audit log and finds the first broken link', async () => {
      const audit = createAuditLog(store.db);
      await Promise.all(
        [1, 2, 3, 4, 5].map((n) =>
          audit.record({ code: AUDIT_EVENTS.CODE_SENT, details: { n, nested: { b: 1, a: 2 } } }),
        ),
      );
      // The database hashes what it appends (migration 0010); these check it hashes exactly what
      // verifyChain recomputes: text beyond ASCII, escapes, a lone surrogate, empty and missing values.
      await audit.record({
        code: AUDIT_EVENTS.CODE_SENT,
        accountId: 'Siân Ó Brádaigh 👩‍⚕️',
        clientId: 'c"\\',
        details: { note: 'line\nbreak\t"quoted" \u2028 \ud800 \0', list: [null, true, 1.5, ''], ключ: {} },
      });
      expect(await verifyChain(store.db)).toBeUndefined();
      // What PostgreSQL cannot store (NUL, an unpaired surrogate) is kept as U+FFFD, not lost with the event.
      const last = await store.db
        .selectFrom('audit_events')
        .select('details')
        .orderBy('id', 'desc')
        .limit(1)
        .executeTakeFirstOrThrow();
      expect((last.details as { note: string }).note).toBe('line\nbreak\t"quoted" \u2028 \uFFFD \uFFFD');
      expect(await verifyChain(store.db, 2)).toBeUndefined(); // across batches
      const third = await store.db
        .selectFrom('audit_events')
        .select('id')
        .orderBy('id')
        .offset(2)
        .limit(1)
        .executeTakeFirstOrThrow();
      await store.db
        .updateTable('audit_events')
        .set({ details: JSON.stringify({ n: 99 }) })
        .where('id', '=', third.id)
        .execute();
      expect(await verifyChain(store.db)).toBe(Number(third.id));
      expect(await verifyChain(store.db, 2)).toBe(Number(third.id));
    });

    it('keeps one unbroken audit chain under many writers at once', async () => {
      const audit = createAuditLog(store.db);
      const before = await store.db.selectFrom('audit_events').select('id').execute();
      await Promise.all(
        Array.from({ length: 40 }, (_, n) => audit.record({ code: AUDIT_EVENTS.CODE_SENT, details: { n } })),
      );
      const rows = await store.db
        .selectFrom('audit_events')
        .select(['prev_hash', 'hash'])
        .orderBy('id')
        .execute();
      expect(rows.length - before.length).toBe(40);
      // No two entries chain to the same predecessor: each hash is the next one's prev_hash.
      for (let i = 1; i < rows.length; i++) expect(rows[i]!.prev_hash).toBe(rows[i - 1]!.hash);
      expect(new Set(rows.map((r) => r.prev_hash)).size).toBe(rows.length);
    });

    it('makes one signing key however many instances start at once, and rotates', async () => {
      await Promise.all([
        ensureSigningKey(store.db, sealer),
        ensureSigningKey(store.db, sealer),
        ensureSigningKey(store.db, sealer),
      ]);
      const keys = await loadSigningKeys(store.db, sealer);
      expect(keys).toHaveLength(1);
      const { kid } = await rotateSigningKeys(store.db, sealer);
      const after = await loadSigningKeys(store.db, sealer);
      expect(after.map((k) => k.kid)).toEqual([kid, keys[0]!.kid]);
      // Two hours on, a rotation retires the key that stopped signing long enough ago.
      const later = new Date(Date.now() + 3 * 60 * 60 * 1000);
      const second = await rotateSigningKeys(store.db, sealer, later);
      expect(second.retired).toEqual([keys[0]!.kid]);
      // An instance started with another ENCRYPTION_KEY says which key and what to do, not OpenSSL's words.
      const otherKey = createSealer(randomBytes(32).toString('base64'));
      await expect(loadSigningKeys(store.db, otherKey)).rejects.toThrow(
        `signing key ${second.kid} cannot be opened with this ENCRYPTION_KEY`,
      );
      expect(() => otherKey.open(sealer.seal('secret'))).toThrow(
        /sealed under another ENCRYPTION_KEY, or altered/,
      );
    });

    it('deletes an account with what hangs off it', async () => {
      const a = await createAccount(store.db, {
        email: 'gone@example.com',
        password_hash: 'h',
        phone_number: '+447700900125',
      });
      await recordServiceUsed(store.db, a!.id, 'store-test');
      expect(await listServicesUsed(store.db, a!.id)).toHaveLength(1);
      await new DbAdapter(store.db, 'Grant').upsert('grant-of-gone', { accountId: a!.id }, 60);
      await deleteAccount(store.db, a!.id);
      expect(await findAccountByEmail(store.db, 'gone@example.com')).toBeUndefined();
      expect(await listServicesUsed(store.db, a!.id)).toHaveLength(0);
      expect(await new DbAdapter(store.db, 'Grant').find('grant-of-gone')).toBeUndefined();
    });
  });
}

storeSuite('store on embedded Postgres (PGlite)', () => openDatabase({}));

const schema = `store_test_${randomBytes(4).toString('hex')}`;
if (reachable) {
  storeSuite(
    'store on a PostgreSQL server',
    () => openDatabase({ url: POSTGRES_URL, schema }),
    () => dropSchema(schema),
  );
}

describe.skipIf(!reachable)('statement timeout on a PostgreSQL server', () => {
  const tight = `store_timeout_${randomBytes(4).toString('hex')}`;
  let store: OpenDatabase;
  afterAll(async () => {
    await store?.close();
    await dropSchema(tight);
  });

  it('cuts a stuck query short, but never a migration, and gives requests their timeout back after', async () => {
    // 20 ms: more than any one request statement here needs, less than the longest
    // migration takes (without migrate's own no-timeout connection, this fails).
    store = await openDatabase({ url: POSTGRES_URL, schema: tight, statementTimeoutMs: 20 });
    expect((await migrate(store.db, store.schema)).length).toBeGreaterThan(0);
    await expect(sql`select pg_sleep(1)`.execute(store.db)).rejects.toMatchObject({ code: '57014' });
    // The pool's connections, the one the migration used among them, keep the short timeout.
    const shown = await Promise.all(
      Array.from({ length: 3 }, () =>
        sql<{ statement_timeout: string }>`show statement_timeout`.execute(store.db),
      ),
    );
    for (const s of shown) expect(s.rows[0]?.statement_timeout).toBe('20ms');
  });
});
