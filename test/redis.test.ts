// With REDIS_URL set, the provider's artifacts and the rate-limit counters
// live in Redis (shared by instances). Runs when Redis answers (the local
// default, or TEST_REDIS_URL) and says so when it skips; CI sets
// REQUIRE_REDIS=1 so a missing Redis fails the run instead.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRateLimits, RateLimitsUnavailable } from '../src/adapters/rate-limits.js';
import { RedisAdapter } from '../src/oidc/redis-adapter.js';
import { TestBrowser } from './support/browser.js';
import { ownRedisDatabase, REDIS_URL, redisAvailable } from './support/redis.js';
import { signInThroughSupplier } from './support/flow.js';
import { startTestService, type TestService } from './support/service.js';
import { clientAssertion, demoSupplier } from './support/supplier.js';
import { ASSERTION_TYPE, exchangeCode, TOKEN_URL, tokenRequest } from './support/token.js';

const reachable = await redisAvailable('the Redis tests');

describe.skipIf(!reachable)('Redis', () => {
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis(REDIS_URL);
  });
  afterAll(() => {
    redis?.disconnect();
  });

  it('keeps provider artifacts: find, consume, uid lookup, revoke by grant, expiry', async () => {
    const tag = randomBytes(4).toString('hex');
    const codes = new RedisAdapter(redis, 'AuthorizationCode', undefined as never);
    await codes.upsert(`c-${tag}`, { grantId: `g-${tag}`, accountId: 'a' }, 60);
    expect(await codes.find(`c-${tag}`)).toMatchObject({ accountId: 'a' });
    await codes.consume(`c-${tag}`);
    expect((await codes.find(`c-${tag}`))?.consumed).toEqual(expect.any(Number));
    // Spent once only, and a code gone since it was read leaves nothing behind.
    await expect(codes.consume(`c-${tag}`)).rejects.toMatchObject({
      error: 'invalid_grant',
      error_detail: 'authorization code already consumed',
    });
    await expect(codes.consume(`gone-${tag}`)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect(await redis.exists(`oidc:AuthorizationCode:gone-${tag}`)).toBe(0);
    const sessions = new RedisAdapter(redis, 'Session', undefined as never);
    await sessions.upsert(`s-${tag}`, { uid: `u-${tag}`, grantId: `g-${tag}` }, 60);
    expect(await sessions.findByUid(`u-${tag}`)).toMatchObject({ uid: `u-${tag}` });
    await codes.revokeByGrantId(`g-${tag}`);
    expect(await codes.find(`c-${tag}`)).toBeUndefined();
    expect(await redis.ttl(`oidc:Session:s-${tag}`)).toBeLessThanOrEqual(60);
  });

  it('stores a replay record once however many instances add it at once', async () => {
    const jti = `jti-${randomBytes(4).toString('hex')}`;
    // Separate connections, as separate instances would have.
    const instances = Array.from({ length: 6 }, () => new Redis(REDIS_URL));
    try {
      const added = await Promise.all(
        instances.map((r) =>
          new RedisAdapter(r, 'ReplayDetection', undefined as never).addIfAbsent(jti, { iss: 's' }, 60),
        ),
      );
      expect(added.filter(Boolean)).toHaveLength(1);
      expect(await redis.ttl(`oidc:ReplayDetection:${jti}`)).toBeGreaterThan(55);
      expect(await new RedisAdapter(redis, 'ReplayDetection', undefined as never).find(jti)).toMatchObject({
        iss: 's',
      });
    } finally {
      for (const r of instances) r.disconnect();
    }
  });

  it("keeps a grant's list of tokens as long as its longest-lived member", async () => {
    const grant = `g-${randomBytes(4).toString('hex')}`;
    const tokens = new RedisAdapter(redis, 'AccessToken', undefined as never);
    await tokens.upsert(`short-${grant}`, { grantId: grant }, 60);
    expect(await redis.ttl(`oidc:grant:${grant}`)).toBe(60);
    await tokens.upsert(`long-${grant}`, { grantId: grant }, 600);
    expect(await redis.ttl(`oidc:grant:${grant}`)).toBeGreaterThan(590);
    await tokens.upsert(`shorter-${grant}`, { grantId: grant }, 30);
    expect(await redis.ttl(`oidc:grant:${grant}`)).toBeGreaterThan(590);
    await tokens.revokeByGrantId(grant);
    expect(await tokens.find(`long-${grant}`)).toBeUndefined();
    expect(await redis.exists(`oidc:grant:${grant}`)).toBe(0);
  });

  it('shares rate limits between instances', async () => {
    const key = `shared-${randomBytes(4).toString('hex')}`;
    const one = createRateLimits({ redis });
    const two = createRateLimits({ redis });
    for (let i = 0; i < 4; i++) await one.hit('passwordFailuresPerAccount', key);
    const fifth = await two.hit('passwordFailuresPerAccount', key);
    expect(fifth.retryAfterSeconds).toBeGreaterThan(0);
    expect((await one.check('passwordFailuresPerAccount', key)).allowed).toBe(false);
  });

  it('fails closed when Redis cannot be reached: no answer means no attempt', async () => {
    const errors: unknown[] = [];
    const gone = new Redis('redis://127.0.0.1:1', {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
    });
    const limits = createRateLimits({ redis: gone, onStoreError: (e) => errors.push(e) });
    await expect(limits.check('passwordFailuresPerAccount', 'x')).rejects.toBeInstanceOf(
      RateLimitsUnavailable,
    );
    await expect(limits.hit('codesSentPerRecipient', 'x')).rejects.toBeInstanceOf(RateLimitsUnavailable);
    expect(errors.length).toBe(2);
    gone.disconnect();
  });

  describe('the whole service on Redis', () => {
    let service: TestService;
    let own: Redis;
    beforeAll(async () => {
      // Other test files' counters (codes sent from 127.0.0.1, say) must not use up this one's allowance.
      const database = await ownRedisDatabase(13);
      own = database.redis;
      service = await startTestService({ env: { REDIS_URL: database.url } });
    });
    afterAll(async () => {
      await service?.close();
      own?.disconnect();
    });
    const demo = demoSupplier();
    const signIn = () =>
      signInThroughSupplier(
        service,
        new TestBrowser(service.app),
        demo,
        { email: 'p0.patient@example.com', phone: '+447700900000' },
        { vtr: '["P0.Cp.Cd"]', scope: 'openid' },
      );
    const refresh = async (refreshToken: string) =>
      tokenRequest(service.app, {
        grant_type: 'refresh_token',
        refresh_token: refreshToken,
        client_assertion_type: ASSERTION_TYPE,
        client_assertion: await clientAssertion(demo, TOKEN_URL),
      });

    it('signs a person in with sessions, interactions and codes in Redis, grants and refresh tokens in the database', async () => {
      const cb = await signIn();
      const tokens = await exchangeCode(service.app, demo, cb.code!);
      expect(tokens.status).toBe(200);
      expect(await own.keys('oidc:Session:*')).not.toHaveLength(0);
      // What must outlive a Redis failure is in the database: the grant and its refresh token.
      const durable = await service.database.db
        .selectFrom('oidc_payloads')
        .select(['type', 'id'])
        .where('type', 'in', ['Grant', 'RefreshToken'])
        .execute();
      const refreshToken = tokens.body.refresh_token as string;
      expect(durable.map((r) => r.type).sort()).toEqual(['Grant', 'RefreshToken']);
      expect(durable.map((r) => r.id)).toContain(refreshToken);
      expect(await own.exists(`oidc:RefreshToken:${refreshToken}`)).toBe(0);
      const refreshed = await refresh(refreshToken);
      expect(refreshed.status, JSON.stringify(refreshed.body)).toBe(200);
      const ready = await service.app.inject({ method: 'GET', url: '/health/ready' });
      expect(ready.statusCode).toBe(200);
    });

    it('rotates a refresh token sent several times at once only once, and then revokes the grant', async () => {
      const cb = await signIn();
      const tokens = await exchangeCode(service.app, demo, cb.code!);
      const answers = await Promise.all(
        Array.from({ length: 4 }, () => refresh(tokens.body.refresh_token as string)),
      );
      const issued = answers.filter((a) => a.status === 200);
      expect(issued).toHaveLength(1);
      for (const refused of answers.filter((a) => a.status !== 200))
        expect(refused.body.error).toBe('invalid_grant');
      expect((await refresh(issued[0]!.body.refresh_token as string)).body.error).toBe('invalid_grant');
    });

    it('gives tokens for a code sent several times at once only once, and then revokes them', async () => {
      const cb = await signIn();
      const answers = await Promise.all(
        Array.from({ length: 4 }, () => exchangeCode(service.app, demo, cb.code!)),
      );
      const issued = answers.filter((a) => a.status === 200);
      expect(issued).toHaveLength(1);
      for (const refused of answers.filter((a) => a.status !== 200))
        expect(refused.body.error).toBe('invalid_grant');
      // The reuse revoked the grant: the one refresh token issued no longer works.
      expect((await refresh(issued[0]!.body.refresh_token as string)).body.error).toBe('invalid_grant');
    });
  });
});
