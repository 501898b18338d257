// The operator CLI, driven through its command functions against an
// in-memory database: suppliers, signing keys, the outbox, the audit chain.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_EVENTS } from '../src/audit/events.js';
import { createAuditLog } from '../src/audit/log.js';
import { auditVerify } from '../src/cli/commands/audit.js';
import { createGpLinkagesCommand, gpLinkages } from '../src/cli/commands/gp-linkages.js';
import { keysList, keysRotate } from '../src/cli/commands/keys.js';
import { outbox } from '../src/cli/commands/outbox.js';
import { people } from '../src/cli/commands/people.js';
import { seed } from '../src/cli/commands/seed.js';
import { suppliersAdd } from '../src/cli/commands/suppliers-add.js';
import { suppliersChange } from '../src/cli/commands/suppliers-change.js';
import { suppliersList } from '../src/cli/commands/suppliers-list.js';
import { suppliersRemove } from '../src/cli/commands/suppliers-remove.js';
import { suppliersShow } from '../src/cli/commands/suppliers-show.js';
import type { CliContext, Command } from '../src/cli/context.js';
import { COMMANDS, runCommand } from '../src/cli/run.js';
import { TEST_PASSWORD, TEST_PEOPLE } from '../src/cli/seed.js';
import { DbAdapter } from '../src/oidc/adapter.js';
import { ensureSigningKey } from '../src/oidc/signing-keys.js';
import { migrate, openDatabase, type OpenDatabase } from '../src/store/db.js';
import { createSealer } from '../src/store/encryption.js';
import { findSupplier } from '../src/store/suppliers.js';

let database: OpenDatabase;
let ctx: CliContext;
let dir: string;
let publicKey: string;
let otherPublicKey: string;
let weakKey: string;
const output: { out: string[]; err: string[] } = { out: [], err: [] };

function pemFile(name: string, bits: number): string {
  const { publicKey: key } = generateKeyPairSync('rsa', { modulusLength: bits });
  const path = join(dir, name);
  writeFileSync(path, key.export({ type: 'spki', format: 'pem' }));
  return path;
}

/** Runs a command, returning its exit code and what it printed. */
async function run(command: Command, ...args: string[]) {
  output.out = [];
  output.err = [];
  const code = await command(ctx, args);
  return { code, out: output.out.join('\n'), err: output.err.join('\n') };
}

async function runLine(...argv: string[]) {
  output.out = [];
  output.err = [];
  const code = await runCommand(ctx, argv);
  return { code, out: output.out.join('\n'), err: output.err.join('\n') };
}

const addArgs = (clientId: string, ...extra: string[]) => [
  '--client-id',
  clientId,
  '--name',
  `Service ${clientId}`,
  '--public-key',
  publicKey,
  ...extra,
];

beforeAll(async () => {
  database = await openDatabase({});
  await migrate(database.db);
  dir = mkdtempSync(join(tmpdir(), 'cli-test-'));
  publicKey = pemFile('supplier.pem', 2048);
  otherPublicKey = pemFile('other.pem', 2048);
  weakKey = pemFile('weak.pem', 1024);
  ctx = {
    db: database.db,
    sealer: createSealer(randomBytes(32).toString('base64')),
    audit: createAuditLog(database.db),
    out: (line) => output.out.push(line),
    err: (line) => output.err.push(line),
    issuer: 'https://login.example.org',
  };
});

afterAll(async () => {
  await database?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('suppliers', () => {
  it('adds a supplier from a PEM file, then lists and shows it', async () => {
    const added = await run(
      suppliersAdd,
      ...addArgs('acme-gp', '--redirect-uri', 'https://acme.example/callback', '--scopes', 'openid profile'),
      '--scope',
      'email',
      '--vtr',
      'P9.Cp.Cd',
      '--vtr',
      'P5.Cp.Cd',
    );
    expect(added.err).toBe('');
    expect(added.code).toBe(0);
    expect(added.out).toContain('Registered supplier acme-gp');
    // The openid-client snippet: issuer, client id, private_key_jwt, RS512.
    expect(added.out).toContain("new URL('https://login.example.org')");
    expect(added.out).toContain("'acme-gp'");
    expect(added.out).toContain("token_endpoint_auth_method: 'private_key_jwt'");
    expect(added.out).toContain("'RS512'");

    const stored = await findSupplier(database.db, 'acme-gp');
    expect(stored?.metadata.scope).toBe('openid profile email');
    expect(stored?.metadata.allowed_vtr).toEqual(['P9.Cp.Cd', 'P5.Cp.Cd']);
    expect(stored?.metadata.jwks?.keys).toHaveLength(1);

    const listed = await run(suppliersList);
    expect(listed.code).toBe(0);
    expect(listed.out).toMatch(/acme-gp\s+Service acme-gp\s+1\s+openid profile email/);

    const shown = await run(suppliersShow, 'acme-gp');
    expect(shown.code).toBe(0);
    const json = JSON.parse(shown.out) as { client_id: string; metadata: { redirect_uris: string[] } };
    expect(json.client_id).toBe('acme-gp');
    expect(json.metadata.redirect_uris).toEqual(['https://acme.example/callback']);

    const audited = await database.db
      .selectFrom('audit_events')
      .selectAll()
      .where('code', '=', AUDIT_EVENTS.SUPPLIER_REGISTERED)
      .where('client_id', '=', 'acme-gp')
      .executeTakeFirst();
    expect(audited?.details.operator).toBe(userInfo().username);
  });

  it('refuses to add a client id that is already registered', async () => {
    const again = await run(
      suppliersAdd,
      ...addArgs('acme-gp', '--redirect-uri', 'https://x.example/cb', '--scope', 'openid'),
    );
    expect(again.code).toBe(1);
    expect(again.err).toContain('already exists');
    expect(again.err).toContain('suppliers change acme-gp');
  });

  it('refuses bad redirect URIs, naming the flag and the problem', async () => {
    const http = await run(
      suppliersAdd,
      ...addArgs('bad-1', '--redirect-uri', 'http://acme.example/cb', '--scope', 'openid'),
    );
    expect(http.code).toBe(1);
    expect(http.err).toContain('--redirect-uri');
    expect(http.err).toContain('must use https');

    const query = await run(
      suppliersAdd,
      ...addArgs('bad-2', '--redirect-uri', 'https://acme.example/cb?x=1', '--scope', 'openid'),
    );
    expect(query.code).toBe(1);
    expect(query.err).toContain('--redirect-uri');
    expect(query.err).toContain('query strings are not allowed');

    const eleven = Array.from({ length: 11 }, (_, i) => [
      '--redirect-uri',
      `https://acme.example/cb${i}`,
    ]).flat();
    const many = await run(suppliersAdd, ...addArgs('bad-3', ...eleven, '--scope', 'openid'));
    expect(many.code).toBe(1);
    expect(many.err).toContain('--redirect-uri');
    expect(many.err).toContain('At most 10 redirect URIs');

    // http is fine on localhost (development).
    const local = await run(
      suppliersAdd,
      ...addArgs('local-dev', '--redirect-uri', 'http://localhost:4000/cb', '--scope', 'openid'),
    );
    expect(local.code).toBe(0);

    for (const id of ['bad-1', 'bad-2', 'bad-3']) expect(await findSupplier(database.db, id)).toBeUndefined();
  });

  it('refuses a 1024-bit key, naming the file', async () => {
    const weak = await run(
      suppliersAdd,
      '--client-id',
      'weak',
      '--name',
      'Weak',
      '--public-key',
      weakKey,
      '--redirect-uri',
      'https://weak.example/cb',
      '--scope',
      'openid',
    );
    expect(weak.code).toBe(1);
    expect(weak.err).toContain(`--public-key ${weakKey}`);
    expect(weak.err).toContain('at least 2048 bits');
    expect(await findSupplier(database.db, 'weak')).toBeUndefined();
  });

  it('refuses an unknown scope and a missing openid scope', async () => {
    const unknown = await run(
      suppliersAdd,
      ...addArgs(
        'scopey',
        '--redirect-uri',
        'https://s.example/cb',
        '--scope',
        'openid',
        '--scope',
        'everything',
      ),
    );
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain('--scope');
    expect(unknown.err).toContain('Unknown scopes: everything');

    const noOpenid = await run(
      suppliersAdd,
      ...addArgs('scopey', '--redirect-uri', 'https://s.example/cb', '--scope', 'email'),
    );
    expect(noOpenid.code).toBe(1);
    expect(noOpenid.err).toContain('openid scope is required');
  });

  it('reports usage mistakes with exit code 2, naming the flag', async () => {
    const missing = await run(suppliersAdd, '--name', 'No id');
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('--client-id is required');

    const unknown = await run(
      suppliersAdd,
      ...addArgs('x', '--redirect-uri', 'https://x.example/cb', '--colour', 'blue'),
    );
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('Unknown flag --colour');

    const both = await run(
      suppliersAdd,
      ...addArgs('x', '--jwks-uri', 'https://x.example/jwks', '--scope', 'openid'),
    );
    expect(both.code).toBe(2);
    expect(both.err).toContain('--public-key or --jwks-uri');

    const noValue = await run(suppliersAdd, '--client-id');
    expect(noValue.code).toBe(2);
    expect(noValue.err).toContain('--client-id needs a value');
  });

  it('changes redirect URIs (replace, add, remove) and audits each change with the operator', async () => {
    const replaced = await run(
      suppliersChange,
      'acme-gp',
      '--redirect-uri',
      'https://acme.example/new',
      '--redirect-uri',
      'https://acme.example/other',
    );
    expect(replaced.code).toBe(0);
    expect(replaced.out).toContain('Changed redirect_uris of supplier acme-gp');
    let stored = await findSupplier(database.db, 'acme-gp');
    expect(stored?.metadata.redirect_uris).toEqual([
      'https://acme.example/new',
      'https://acme.example/other',
    ]);
    // Everything not named stays as it was.
    expect(stored?.metadata.scope).toBe('openid profile email');

    expect(
      (await run(suppliersChange, 'acme-gp', '--add-redirect-uri', 'https://acme.example/third')).code,
    ).toBe(0);
    expect(
      (await run(suppliersChange, 'acme-gp', '--remove-redirect-uri', 'https://acme.example/other')).code,
    ).toBe(0);
    stored = await findSupplier(database.db, 'acme-gp');
    expect(stored?.metadata.redirect_uris).toEqual([
      'https://acme.example/new',
      'https://acme.example/third',
    ]);

    const notThere = await run(
      suppliersChange,
      'acme-gp',
      '--remove-redirect-uri',
      'https://nowhere.example/cb',
    );
    expect(notThere.code).toBe(1);
    expect(notThere.err).toContain('--remove-redirect-uri');

    const bad = await run(suppliersChange, 'acme-gp', '--add-redirect-uri', 'https://acme.example/cb?q=1');
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('--add-redirect-uri');
    expect(bad.err).toContain('query strings are not allowed');

    const changes = await database.db
      .selectFrom('audit_events')
      .selectAll()
      .where('code', '=', AUDIT_EVENTS.SUPPLIER_CHANGED)
      .where('client_id', '=', 'acme-gp')
      .orderBy('id')
      .execute();
    expect(changes).toHaveLength(3);
    expect(changes[0]?.details.operator).toBe(userInfo().username);
    expect(changes[0]?.details.changed).toEqual(['redirect_uris']);
  });

  it('replaces the keys with --public-key and refuses an unknown client id', async () => {
    const before = await findSupplier(database.db, 'acme-gp');
    const changed = await run(suppliersChange, 'acme-gp', '--public-key', otherPublicKey, '--sandpit');
    expect(changed.code).toBe(0);
    const after = await findSupplier(database.db, 'acme-gp');
    expect(after?.metadata.jwks?.keys).toHaveLength(1);
    expect(after?.metadata.jwks?.keys[0]?.n).not.toBe(before?.metadata.jwks?.keys[0]?.n);
    expect(after?.metadata.sandpit).toBe(true);

    const missing = await run(suppliersChange, 'nobody', '--name', 'X');
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('No supplier has client id nobody');

    const nothing = await run(suppliersChange, 'acme-gp');
    expect(nothing.code).toBe(2);
  });

  it('approves a supplier for the Users (SCIM) API with --users-api, and withdraws it with --no-users-api', async () => {
    const added = await run(
      suppliersAdd,
      ...addArgs(
        'scim-gp',
        '--redirect-uri',
        'https://scim.example/callback',
        '--scope',
        'openid',
        '--users-api',
      ),
    );
    expect(added.code).toBe(0);
    expect(added.out).toMatch(/Users \(SCIM\) API:\s+approved/);
    expect((await findSupplier(database.db, 'scim-gp'))?.metadata.users_api).toBe(true);
    const shown = JSON.parse((await run(suppliersShow, 'scim-gp')).out) as {
      metadata: { users_api: boolean };
    };
    expect(shown.metadata.users_api).toBe(true);

    const withdrawn = await run(suppliersChange, 'scim-gp', '--no-users-api');
    expect(withdrawn.code).toBe(0);
    expect(withdrawn.out).toContain('Changed users_api of supplier scim-gp');
    expect(withdrawn.out).toMatch(/Users \(SCIM\) API:\s+no/);
    expect((await findSupplier(database.db, 'scim-gp'))?.metadata.users_api).toBe(false);
    expect((await run(suppliersChange, 'scim-gp', '--users-api')).code).toBe(0);
    expect((await findSupplier(database.db, 'scim-gp'))?.metadata.users_api).toBe(true);

    const both = await run(suppliersChange, 'scim-gp', '--users-api', '--no-users-api');
    expect(both.code).toBe(2);
    expect(both.err).toContain('Give --users-api or --no-users-api, not both');
    const plain = await run(
      suppliersAdd,
      ...addArgs('plain-gp', '--redirect-uri', 'https://plain.example/cb', '--scope', 'openid'),
    );
    expect(plain.code).toBe(0);
    expect((await findSupplier(database.db, 'plain-gp'))?.metadata.users_api).toBe(false);
  });

  it('removes a supplier, audited', async () => {
    const removed = await run(suppliersRemove, 'local-dev');
    expect(removed.code).toBe(0);
    expect(await findSupplier(database.db, 'local-dev')).toBeUndefined();
    expect((await run(suppliersShow, 'local-dev')).code).toBe(1);
    expect((await run(suppliersRemove, 'local-dev')).code).toBe(1);
    const audited = await database.db
      .selectFrom('audit_events')
      .selectAll()
      .where('code', '=', AUDIT_EVENTS.SUPPLIER_REMOVED)
      .executeTakeFirst();
    expect(audited?.client_id).toBe('local-dev');
    expect(audited?.details.operator).toBe(userInfo().username);
  });
});

describe('keys', () => {
  const statuses = async () =>
    Object.fromEntries(
      (await database.db.selectFrom('signing_keys').select(['kid', 'status']).execute()).map((k) => [
        k.kid,
        k.status,
      ]),
    );

  it('rotate makes a new active key and keeps the old one published', async () => {
    await ensureSigningKey(database.db, ctx.sealer);
    const [first] = Object.keys(await statuses());
    const rotated = await run(keysRotate);
    expect(rotated.code).toBe(0);
    const kid = /New signing key: (\S+)/.exec(rotated.out)?.[1];
    expect(kid).toBeDefined();
    expect(rotated.out).toContain(`Still published, to verify tokens already issued: ${first}`);
    expect(rotated.out).toContain('within 30 seconds');
    expect(await statuses()).toEqual({ [first!]: 'published', [kid!]: 'active' });

    const listed = await run(keysList);
    expect(listed.code).toBe(0);
    expect(listed.out).toMatch(new RegExp(`${kid}\\s+active`));
    expect(listed.out).toMatch(new RegExp(`${first}\\s+published`));
    // Never the private key, sealed or not.
    const sealed = await database.db.selectFrom('signing_keys').select('private_jwk').execute();
    for (const s of sealed) expect(listed.out).not.toContain(s.private_jwk);
    expect(listed.out).not.toMatch(/"d"|private/i);

    const audited = await database.db
      .selectFrom('audit_events')
      .selectAll()
      .where('code', '=', AUDIT_EVENTS.SIGNING_KEY_ROTATED)
      .executeTakeFirst();
    expect(audited?.details.kid).toBe(kid);
    expect(audited?.details.operator).toBe(userInfo().username);
  });

  it('rotating twice within 2 hours keeps both old keys published', async () => {
    const rotated = await run(keysRotate);
    expect(rotated.code).toBe(0);
    const all = await statuses();
    expect(Object.values(all).sort()).toEqual(['active', 'published', 'published']);
    const listed = await run(keysList);
    expect(listed.out.match(/^\S+\s+published\s/gm)).toHaveLength(2);
    expect(listed.out.match(/^\S+\s+active\s/gm)).toHaveLength(1);
  });

  it('retires keys superseded more than 2 hours ago at the next rotation', async () => {
    await sql`update signing_keys set superseded_at = now() - interval '3 hours' where status = 'published'`.execute(
      database.db,
    );
    const rotated = await run(keysRotate);
    expect(rotated.code).toBe(0);
    expect(rotated.out).toMatch(/Retired \(removed from the JWKS\): \S+, \S+/);
    expect(Object.values(await statuses()).sort()).toEqual(['active', 'published', 'retired', 'retired']);
  });
});

describe('outbox, people and seed', () => {
  it('prints messages from the outbox, newest first, filtered by recipient', async () => {
    expect((await run(outbox)).out).toContain('The outbox is empty.');
    await database.db
      .insertInto('outbox')
      .values([
        {
          channel: 'email',
          recipient: 'p9.patient@example.com',
          subject: 'Your security code',
          body: 'Your code is 123456',
        },
        { channel: 'sms', recipient: '+447700900009', subject: '', body: 'NHS login code 654321' },
      ])
      .execute();
    const all = await run(outbox);
    expect(all.code).toBe(0);
    expect(all.out).toContain('Email to p9.patient@example.com');
    expect(all.out).toContain('Subject: Your security code');
    expect(all.out).toContain('Text message to +447700900009');
    expect(all.out.indexOf('654321')).toBeLessThan(all.out.indexOf('123456'));

    const toOne = await run(outbox, '--to', 'P9.Patient@example.com');
    expect(toOne.out).toContain('123456');
    expect(toOne.out).not.toContain('654321');

    const one = await run(outbox, '--limit', '1');
    expect(one.out).toContain('654321');
    expect(one.out).not.toContain('123456');

    const bad = await run(outbox, '--limit', 'lots');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--limit');
  });

  it('seeds the demo supplier and test people, and lists them with the shared password', async () => {
    const before = await run(people);
    expect(before.out).toContain('run `npm run cli seed`');
    const seeded = await run(seed);
    expect(seeded.code).toBe(0);
    expect(await findSupplier(database.db, 'demo-supplier')).toBeDefined();
    const listed = await run(people);
    expect(listed.code).toBe(0);
    for (const p of TEST_PEOPLE) {
      expect(listed.out).toContain(p.email);
      if (p.nhsNumber) expect(listed.out).toContain(p.nhsNumber);
    }
    expect(listed.out).toContain(TEST_PASSWORD);
    expect(listed.out).not.toContain('run `npm run cli seed`');
  });

  it('refuses to seed in production', async () => {
    const refused = await seed({ ...ctx, production: true }, []);
    expect(refused).toBe(1);
  });
});

describe('help and dispatch', () => {
  it('help lists every command', async () => {
    const helped = await runLine();
    expect(helped.code).toBe(0);
    for (const name of Object.keys(COMMANDS)) expect(helped.out).toContain(name);
    for (const f of [
      '--client-id',
      '--add-redirect-uri',
      '--remove-redirect-uri',
      '--scopes',
      '--to',
      '--limit',
    ]) {
      expect(helped.out).toContain(f);
    }
  });

  it('runs a command line and reports an unknown command as a usage mistake', async () => {
    expect((await runLine('suppliers', 'list')).out).toContain('acme-gp');
    const unknown = await runLine('suppliers', 'frobnicate');
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('There is no command suppliers frobnicate');
    expect((await runLine('nonsense')).code).toBe(2);
  });
});

describe('suspending suppliers, GP integration approval and JWKS URLs', () => {
  it('suspends a supplier with --suspend and a reason, so the provider no longer finds it, and resumes it', async () => {
    expect(
      (
        await run(
          suppliersAdd,
          ...addArgs('pause-cli', '--redirect-uri', 'https://pause.example/cb', '--scope', 'openid'),
        )
      ).code,
    ).toBe(0);
    const clients = new DbAdapter(database.db, 'Client');
    expect(await clients.find('pause-cli')).toBeDefined();

    const noReason = await run(suppliersChange, 'pause-cli', '--suspend');
    expect(noReason.code).toBe(2);
    expect(noReason.err).toContain('--suspend needs --reason');
    const mixed = await run(suppliersChange, 'pause-cli', '--suspend', '--reason', 'x', '--name', 'Other');
    expect(mixed.code).toBe(2);
    expect(mixed.err).toContain('on its own');
    const both = await runLine('suppliers', 'change', 'pause-cli', '--suspend', '--resume', '--reason', 'x');
    expect(both.code).toBe(2);
    const stray = await run(suppliersChange, 'pause-cli', '--reason', 'why');
    expect(stray.code).toBe(2);
    expect(stray.err).toContain('--reason goes with --suspend or --resume');

    const suspended = await runLine(
      'suppliers',
      'change',
      'pause-cli',
      '--suspend',
      '--reason',
      'Key reported lost',
    );
    expect(suspended.code, suspended.err).toBe(0);
    expect(suspended.out).toContain('Suspended supplier pause-cli');
    expect((await findSupplier(database.db, 'pause-cli'))?.metadata.suspended).toMatchObject({
      reason: 'Key reported lost',
      by: `cli:${userInfo().username}`,
    });
    // The provider's client lookup (what /authorize and /token use) finds nothing: invalid_client.
    expect(await clients.find('pause-cli')).toBeUndefined();
    expect((await run(suppliersList)).out).toMatch(/pause-cli\s.*suspended/);
    expect((await run(suppliersShow, 'pause-cli')).out).toContain('"suspended"');
    const again = await run(suppliersChange, 'pause-cli', '--suspend', '--reason', 'twice');
    expect(again.code).toBe(0);
    expect(again.out).toContain('Nothing changed: supplier pause-cli is already suspended');

    // A change of settings keeps the suspension.
    expect((await run(suppliersChange, 'pause-cli', '--name', 'Paused')).code).toBe(0);
    expect(await clients.find('pause-cli')).toBeUndefined();

    const resumed = await runLine(
      'suppliers',
      'change',
      'pause-cli',
      '--resume',
      '--reason',
      'New key registered',
    );
    expect(resumed.code, resumed.err).toBe(0);
    expect(resumed.out).toContain('Resumed supplier pause-cli');
    expect(await clients.find('pause-cli')).toMatchObject({ client_id: 'pause-cli', client_name: 'Paused' });
    expect((await findSupplier(database.db, 'pause-cli'))?.metadata.suspended).toBeUndefined();

    const audited = await database.db
      .selectFrom('audit_events')
      .selectAll()
      .where('client_id', '=', 'pause-cli')
      .where('code', 'in', [AUDIT_EVENTS.SUPPLIER_SUSPENDED, AUDIT_EVENTS.SUPPLIER_RESUMED])
      .orderBy('id')
      .execute();
    expect(audited.map((a) => [a.code, a.details])).toEqual([
      [AUDIT_EVENTS.SUPPLIER_SUSPENDED, { operator: userInfo().username, reason: 'Key reported lost' }],
      [AUDIT_EVENTS.SUPPLIER_RESUMED, { operator: userInfo().username, reason: 'New key registered' }],
    ]);
    expect((await run(suppliersChange, 'nobody', '--suspend', '--reason', 'x')).code).toBe(1);
  });

  it('grants gp_integration_credentials only with --gp-integration-approval, recorded and audited', async () => {
    const gpArgs = [
      '--redirect-uri',
      'https://im1.example/cb',
      '--scopes',
      'openid gp_integration_credentials',
    ];
    const refused = await run(suppliersAdd, ...addArgs('im1-cli', ...gpArgs));
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('--gp-integration-approval');
    expect(await findSupplier(database.db, 'im1-cli')).toBeUndefined();

    const added = await run(
      suppliersAdd,
      ...addArgs('im1-cli', ...gpArgs, '--gp-integration-approval', 'IM1-77'),
    );
    expect(added.code, added.err).toBe(0);
    expect(added.out).toMatch(/GP integration approval:\s+IM1-77/);
    expect((await findSupplier(database.db, 'im1-cli'))?.metadata.gp_integration_approval).toMatchObject({
      reference: 'IM1-77',
      by: `cli:${userInfo().username}`,
    });
    const audited = await database.db
      .selectFrom('audit_events')
      .selectAll()
      .where('code', '=', AUDIT_EVENTS.SUPPLIER_REGISTERED)
      .where('client_id', '=', 'im1-cli')
      .executeTakeFirst();
    expect(audited?.details.gp_integration_approval).toMatchObject({ reference: 'IM1-77' });

    // Already approved: other changes need no reference; a supplier without the scope needs one to get it.
    expect((await run(suppliersChange, 'im1-cli', '--name', 'IM1 app')).code).toBe(0);
    const plainGrant = await run(
      suppliersChange,
      'plain-gp',
      '--scope',
      'openid',
      '--scope',
      'gp_integration_credentials',
    );
    expect(plainGrant.code).toBe(1);
    expect(plainGrant.err).toContain('--gp-integration-approval');
    const stray = await run(suppliersChange, 'plain-gp', '--gp-integration-approval', 'IM1-1');
    expect(stray.code).toBe(2);
    expect(stray.err).toContain('--gp-integration-approval goes with the gp_integration_credentials scope');
  });

  it('checks a --jwks-uri by fetching it once, and refuses EC keys without ES256', async () => {
    const unreachable = await run(
      suppliersAdd,
      '--client-id',
      'jwks-cli',
      '--name',
      'JWKS',
      '--jwks-uri',
      'http://127.0.0.1:9/jwks.json',
      '--redirect-uri',
      'https://jwks.example/cb',
      '--scope',
      'openid',
    );
    expect(unreachable.code).toBe(1);
    expect(unreachable.err).toContain(
      '--jwks-uri http://127.0.0.1:9/jwks.json: The JWKS URL could not be reached',
    );
    expect(await findSupplier(database.db, 'jwks-cli')).toBeUndefined();

    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const ecPath = join(dir, 'ec.pem');
    writeFileSync(ecPath, publicKey.export({ type: 'spki', format: 'pem' }));
    const ecArgs = ['--client-id', 'ec-cli', '--name', 'EC', '--public-key', ecPath];
    const ec = await run(
      suppliersAdd,
      ...ecArgs,
      '--redirect-uri',
      'https://ec.example/cb',
      '--scope',
      'openid',
    );
    expect(ec.code).toBe(1);
    expect(ec.err).toContain('ES256');
    const es256 = await run(
      suppliersAdd,
      ...ecArgs,
      '--redirect-uri',
      'https://ec.example/cb',
      '--scope',
      'openid',
      '--assertion-alg',
      'ES256',
    );
    expect(es256.code, es256.err).toBe(0);
  });

  it('documents the new flags in help', async () => {
    const helped = await runLine('help', 'suppliers');
    for (const f of ['--suspend', '--resume', '--reason', '--gp-integration-approval'])
      expect(helped.out).toContain(f);
  });
});

describe('audit verify', () => {
  it('passes on an intact chain, then names the entry after tampering', async () => {
    const count = await database.db
      .selectFrom('audit_events')
      .select(sql<string>`count(*)`.as('n'))
      .executeTakeFirstOrThrow();
    const intact = await run(auditVerify);
    expect(intact.code).toBe(0);
    expect(intact.out).toBe(`Audit chain intact (${Number(count.n)} entries)`);

    await sql`update audit_events set details = '{"x":1}' where id = 1`.execute(database.db);
    const broken = await run(auditVerify);
    expect(broken.code).toBe(1);
    expect(broken.err).toBe('Audit chain broken at entry 1');
  });
});

describe('gp-linkages', () => {
  // Whatever the machine running the tests has configured, these read the simulated GP system.
  const simulated = createGpLinkagesCommand({ env: {} });

  it('prints simulated GP online services details, the seeded P9 test person first', async () => {
    const listed = await run(simulated);
    expect(listed.code).toBe(0);
    const lines = listed.out.split('\n');
    expect(lines[0]).toMatch(/^ACCOUNT ID\s+LINKAGE KEY\s+ODS CODE\s+NAME\s+DATE OF BIRTH\s+NHS NUMBER$/);
    expect(lines[1]).toMatch(
      /^1000000026\s+Xk9Dq2PvS7Lm3\s+B82046\s+Daniel Okafor\s+1959-11-02\s+999 000 0026$/,
    );
    expect(lines.filter((l) => /^\d{10}\s/.test(l))).toHaveLength(20);
    expect(listed.out).toContain('p9.patient@example.com');
    expect(listed.out).toContain('surname and date of birth must match');
  });

  it('filters by practice (any case) and limits the rows', async () => {
    const listed = await run(simulated, '--ods', 'a81001', '--limit', '3');
    expect(listed.code).toBe(0);
    const rows = listed.out.split('\n').filter((l) => /^\d{10}\s/.test(l));
    expect(rows).toHaveLength(3);
    for (const row of rows) expect(row.split(/\s{2,}/)[2]).toBe('A81001');
    expect(listed.out).toMatch(/3 of \d+ sets of details at A81001/);
  });

  it('refuses when a real GP system is configured', async () => {
    const real = createGpLinkagesCommand({ env: { GP_SYSTEM_BASE_URL: 'https://im1.example.nhs.uk' } });
    const refused = await run(real);
    expect(refused.code).toBe(1);
    expect(refused.out).toBe('');
    expect(refused.err).toContain(
      'A real GP system is configured (GP_SYSTEM_BASE_URL=https://im1.example.nhs.uk)',
    );
  });

  it('reports an unknown practice and usage mistakes', async () => {
    const unknown = await run(simulated, '--ods', 'ZZZ99');
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain('no details at practice ZZZ99');
    expect(unknown.err).toContain('B82046');
    expect((await run(simulated, '--limit', '0')).code).toBe(2);
    const typo = await run(gpLinkages, '--odz', 'A81001');
    expect(typo.code).toBe(2);
    expect(typo.err).toContain('Unknown flag --odz');
  });

  it('is in the help', async () => {
    expect((await runLine()).out).toContain('gp-linkages [--ods CODE] [--limit N]');
    const helped = await runLine('help', 'gp-linkages');
    expect(helped.code).toBe(0);
    expect(helped.out).toContain('--ods CODE');
    expect(helped.out).toContain('GP_SYSTEM_BASE_URL');
  });
});
