// Running the service: data survives a restart, a key rotated by another
// process reaches a running instance, development-only pages stay out of
// production, configuration refuses unsafe production settings, health checks.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { rotateSigningKeys } from '../src/oidc/signing-keys.js';
import { startRuntime } from '../src/runtime.js';
import { createAccount, findAccountByEmail } from '../src/store/accounts.js';
import { startTestService } from './support/service.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('embedded storage', () => {
  it('keeps accounts, keys and suppliers across a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nhsl-data-'));
    dirs.push(dir);
    const env = { NODE_ENV: 'test', DATA_DIR: dir, LOG_LEVEL: 'silent' } as const;
    const first = await startRuntime(loadConfig(env));
    await createAccount(first.database.db, {
      email: 'kept@example.com',
      password_hash: 'h',
      phone_number: '+447700900321',
    });
    const jwksBefore = (await first.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).body;
    await first.close();

    const second = await startRuntime(loadConfig(env));
    expect(await findAccountByEmail(second.database.db, 'kept@example.com')).toBeDefined();
    expect((await second.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).body).toBe(jwksBefore);
    await second.close();
  });
});

describe('a running instance', () => {
  it('picks up signing keys rotated by another process', async () => {
    const service = await startTestService();
    try {
      expect(await service.checkSigningKeys()).toBe(false);
      const { kid } = await rotateSigningKeys(service.database.db, service.sealer);
      expect(await service.checkSigningKeys()).toBe(true);
      const jwks = (await service.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json<{
        keys: { kid: string }[];
      }>();
      expect(jwks.keys[0]?.kid).toBe(kid);
    } finally {
      await service.close();
    }
  });

  it('answers health checks', async () => {
    const service = await startTestService();
    try {
      expect((await service.app.inject({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);
      const ready = await service.app.inject({ method: 'GET', url: '/health/ready' });
      expect(ready.json()).toEqual({ status: 'ok', database: true });
    } finally {
      await service.close();
    }
  });
});

describe('production', () => {
  it('has no outbox page', async () => {
    const config = {
      ...loadConfig({
        NODE_ENV: 'test',
        LOG_LEVEL: 'silent',
        ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      }),
      production: true,
      seedDemo: false,
    };
    const runtime = await startRuntime(config, { inMemory: true });
    try {
      expect((await runtime.app.inject({ method: 'GET', url: '/dev/outbox' })).statusCode).toBe(404);
    } finally {
      await runtime.close();
    }
  });

  it('refuses to start on development conveniences', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(ConfigError);
    const unsafe = () => loadConfig({ NODE_ENV: 'production', ISSUER: 'http://login.example' });
    expect(unsafe).toThrow('ISSUER must be an https URL');
    expect(unsafe).toThrow('ENCRYPTION_KEY is required');
    expect(unsafe).toThrow('NOTIFY_API_KEY is required');
    expect(unsafe).toThrow('DATABASE_URL is required');
    const ok = loadConfig({
      NODE_ENV: 'production',
      ISSUER: 'https://login.example',
      ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      COOKIE_SECRET: randomBytes(32).toString('hex'),
      NOTIFY_API_KEY: 'key',
      NOTIFY_EMAIL_CODE_TEMPLATE_ID: 't1',
      NOTIFY_SMS_CODE_TEMPLATE_ID: 't2',
      NOTIFY_EMAIL_NOTICE_TEMPLATE_ID: 't3',
      DATABASE_URL: 'postgres://db.example/nhslogin',
    });
    expect(ok.production).toBe(true);
    expect(ok.seedDemo).toBe(false);
  });
});

describe('logs', () => {
  it('never show one-time tokens from URLs', async () => {
    const { requestForLog } = await import('../src/app.js');
    expect(requestForLog({ method: 'GET', url: '/backoffice/setup/abcDEF123?x=1' }).url).toBe(
      '/backoffice/setup/[redacted]?x=1',
    );
    expect(requestForLog({ method: 'GET', url: '/callback?state=s&code=secret&x=1' }).url).toBe(
      '/callback?state=s&code=[redacted]&x=1',
    );
    expect(requestForLog({ method: 'GET', url: '/sign-in' }).url).toBe('/sign-in');
  });
});
