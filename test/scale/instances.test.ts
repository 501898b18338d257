// Three stateless instances behind a round-robin proxy, as production runs
// them: one journey's consecutive requests land on different instances and
// still complete; rate limits are shared, so guessing a password on one
// instance locks the account on all; and signing keys rotated while people
// sign in never make an ID token fail to verify.
// Needs the machine's PostgreSQL and Redis (REQUIRE_POSTGRES=1 and
// REQUIRE_REDIS=1 make their absence fail rather than skip).
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_PASSWORD } from '../../src/cli/seed.js';
import { rotateSigningKeys } from '../../src/oidc/signing-keys.js';
import { HttpBrowser, startInstances, type Instances } from '../support/instances.js';
import { postgresAvailable } from '../support/postgres.js';
import { demoSupplier } from '../support/supplier.js';
import { P0, P5, relyingPartyKeys, signIn, token, verifyIdToken } from './journeys.js';
import { forgetCodesSent, ownRedisDatabase, redisAvailable } from '../support/redis.js';

const available =
  (await postgresAvailable('the multi-instance tests')) && (await redisAvailable('the multi-instance tests'));

describe.skipIf(!available)('several instances behind a load balancer', () => {
  let instances: Instances;
  let redis: Redis;
  const supplier = demoSupplier();

  beforeAll(async () => {
    const own = await ownRedisDatabase(11);
    redis = own.redis;
    instances = await startInstances({ count: 3, name: 'scale_instances', redisUrl: own.url });
  });
  afterAll(async () => {
    await instances?.close();
    redis?.disconnect();
  });

  it('completes supplier sign-ins whose consecutive requests land on different instances', async () => {
    const keys = relyingPartyKeys(instances);
    for (let round = 0; round < 2; round++) {
      const browser = new HttpBrowser(instances.url);
      const { code, nonce } = await signIn(instances, browser, supplier, P0);
      // Every step of the journey on another instance than the step before.
      for (let i = 1; i < browser.servedBy.length; i++)
        expect(browser.servedBy[i]).not.toBe(browser.servedBy[i - 1]);
      expect(new Set(browser.servedBy).size).toBe(3);
      const tokens = await token(instances, supplier, code);
      expect(tokens.status).toBe(200);
      expect(tokens.servedBy).not.toBe(browser.servedBy.at(-1));
      const claims = await verifyIdToken(instances, keys, supplier, tokens.body.id_token as string, nonce);
      expect(claims.vot).toBe('P0.Cp.Cd');
    }
  });

  it('shares rate limits: 5 wrong passwords spread over the instances lock the account on every one', async () => {
    const browser = new HttpBrowser(instances.url);
    await browser.get('/sign-in');
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const page = await browser.post('/sign-in', { email: P5.email, password: `wrong password ${i}` });
      statuses.push(page.status);
    }
    expect(statuses).toEqual([400, 400, 400, 400, 429]);
    expect(new Set(browser.servedBy.slice(1)).size).toBe(3);
    // The right password, straight to each instance: refused everywhere.
    for (const instance of instances.list) {
      const direct = new HttpBrowser(instance.url);
      await direct.get('/sign-in');
      const page = await direct.post('/sign-in', { email: P5.email, password: TEST_PASSWORD });
      expect(page.status).toBe(429);
      expect(page.body).toContain('You have tried to log in too many times');
    }
  });

  it('rotates signing keys mid-run without a single failed token verification', async () => {
    // A relying party that has the old key set cached before the rotation.
    const keys = relyingPartyKeys(instances);
    const before = await signInAndVerify();
    const { kid } = await rotateSigningKeys(instances.database.db, instances.sealer);
    expect(kid).not.toBe(before.kid);

    // Keep signing people in until every instance signs with the new key
    // (each notices the rotation within its key-check interval). Every token,
    // whichever key signed it and whichever instance served the JWKS, verifies.
    const switched = new Set<number>();
    const kids: string[] = [];
    const deadline = Date.now() + 60_000;
    while (switched.size < instances.list.length && Date.now() < deadline) {
      const result = await signInAndVerify();
      kids.push(result.kid);
      // A person every half second or so, not as fast as the machine allows (others test on it too).
      await new Promise((r) => setTimeout(r, 300));
      if (result.kid === kid) switched.add(result.servedBy!);
    }
    expect(switched.size).toBe(instances.list.length);
    expect(kids.every((k) => k === before.kid || k === kid)).toBe(true);

    async function signInAndVerify() {
      await forgetCodesSent(redis, [P0.phone]);
      const { code, nonce } = await signIn(instances, new HttpBrowser(instances.url), supplier, P0);
      const tokens = await token(instances, supplier, code);
      expect(tokens.status).toBe(200);
      const claims = await verifyIdToken(instances, keys, supplier, tokens.body.id_token as string, nonce);
      return { kid: claims.kid, servedBy: tokens.servedBy };
    }
  });
});
