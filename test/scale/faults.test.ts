// Faults a production deployment meets, on three real instances behind a
// round-robin proxy: an instance killed mid-journey (the journey carries on
// elsewhere and no account is half-made), PostgreSQL unreachable for a few
// seconds, and Redis unreachable. The real servers are never stopped (other
// tests use them): the instances reach them through TCP proxies the test
// can cut. While a dependency is gone, people see a clear 503 page, suppliers
// get OAuth temporarily_unavailable, readiness says 503, and nothing hangs;
// once it is back the service recovers by itself with nothing lost.
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { latestCode } from '../../src/adapters/notify/outbox.js';
import { TEST_PASSWORD } from '../../src/cli/seed.js';
import { HttpBrowser, startInstances, type Instance, type Instances } from '../support/instances.js';
import { POSTGRES_URL, postgresAvailable } from '../support/postgres.js';
import { authorizeUrl, clientAssertion, demoSupplier } from '../support/supplier.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { ASSERTION_TYPE } from '../support/token.js';
import { callbackCode, P0, P9, signIn, through, token } from './journeys.js';
import { forgetCodesSent, ownRedisDatabase, redisAvailable } from '../support/redis.js';

const available = (await postgresAvailable('the fault tests')) && (await redisAvailable('the fault tests'));

const PASSWORD = 'marmalade lighthouse orbit';
const UNAVAILABLE = 'Sorry, the service is unavailable';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!available)('faults', () => {
  let instances: Instances;
  let redis: Redis;
  let pgProxy: TcpProxy;
  let redisProxy: TcpProxy;
  const supplier = demoSupplier();
  const alive = () => instances.list.filter((i) => i.alive);

  /** Every running instance's /health/ready status. */
  const readiness = () =>
    Promise.all(alive().map((i) => fetch(`${i.url}/health/ready`).then((r) => r.status)));

  async function untilReady(timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if ((await readiness()).every((s) => s === 200)) return;
      await sleep(250);
    }
    throw new Error('the instances did not become ready again');
  }

  beforeAll(async () => {
    const own = await ownRedisDatabase(12);
    redis = own.redis;
    const pg = new URL(POSTGRES_URL);
    pgProxy = await startTcpProxy({ host: pg.hostname, port: Number(pg.port || 5432) });
    const r = new URL(own.url);
    redisProxy = await startTcpProxy({ host: r.hostname, port: Number(r.port || 6379) });
    instances = await startInstances({
      count: 3,
      name: 'scale_faults',
      databaseUrl: pgProxy.urlFor(POSTGRES_URL),
      redisUrl: redisProxy.urlFor(own.url),
    });
  });
  afterAll(async () => {
    await instances?.close();
    await pgProxy?.close();
    await redisProxy?.close();
    redis?.disconnect();
  });

  it('an instance killed mid-registration: the journey carries on elsewhere and no account is half-made', async () => {
    const person = { email: `killed.${Date.now()}@example.com`, phone: '+447700900177', password: PASSWORD };
    const browser = new HttpBrowser(instances.url);
    const { url } = authorizeUrl(supplier, { vtr: '["P0.Cp.Cd"]', scope: 'openid' });
    await browser.follow(url);
    await browser.get('/register');
    let page = await through(browser, await browser.post('/register', { email: person.email }), 'email');
    const emailCode = await latestCode(instances.database.db, person.email);
    page = await through(browser, await browser.post(page.url, { code: emailCode! }), 'email code');
    page = await through(
      browser,
      await browser.post(page.url, { password: PASSWORD, confirm: PASSWORD }),
      'password',
    );
    page = await through(browser, await browser.post(page.url, { phone: '07700900177' }), 'phone');
    expect(page.url).toMatch(/\/register\/phone-code$/);
    const smsCode = (await latestCode(instances.database.db, person.phone))!;

    // The last step, the one that makes the account, sent straight to one
    // instance, which is killed while it answers.
    const victim: Instance = instances.list[0]!;
    const inFlight = browser
      .post('/register/phone-code', { code: smsCode }, victim.url)
      .catch(() => undefined);
    await sleep(15);
    await victim.kill('SIGKILL');
    const answered = await inFlight;

    const rows = () =>
      instances.database.db.selectFrom('accounts').selectAll().where('email', '=', person.email).execute();
    const afterKill = await rows();
    expect(afterKill.length).toBeLessThanOrEqual(1);
    for (const row of afterKill) {
      expect(row.password_hash).toMatch(/^\$argon2/);
      expect(row.phone_number).toBe(person.phone);
      expect(row.phone_number_verified).toBe(true);
    }

    // The person presses the button again: the proxy skips the dead instance.
    const sinceKill = browser.servedBy.length;
    // An answer the victim sent just before it died is followed through the proxy, as a browser would.
    let done = answered?.location
      ? await browser.follow(answered.location)
      : await browser.post('/register/phone-code', { code: smsCode });
    // (Following the victim's answer already ends at the supplier; a fresh POST's answer is followed there.)
    if (done.location && !done.url.startsWith(supplier.redirectUri))
      done = await through(browser, done, 'retry');
    if (!done.url.startsWith(supplier.redirectUri)) {
      // The account was made just before the instance died: "you already have
      // an NHS login", and signing in works.
      expect(done.body).toContain('already');
      await forgetCodesSent(redis, [person.phone]);
      const signedIn = await signIn(instances, new HttpBrowser(instances.url), supplier, person);
      expect((await token(instances, supplier, signedIn.code)).status).toBe(200);
    } else {
      expect((await token(instances, supplier, callbackCode(done, supplier))).status).toBe(200);
    }
    expect(browser.servedBy.slice(sinceKill)).not.toContain(victim.port);
    expect(browser.servedBy.slice(sinceKill).length).toBeGreaterThan(0);
    expect(await rows()).toHaveLength(1);
  });

  it('PostgreSQL unreachable for a few seconds: 503s, never a hang or a 500, then recovery with nothing lost', async () => {
    await forgetCodesSent(redis, [P0.phone]);
    // A journey half done before the outage: password given, text code sent.
    const browser = new HttpBrowser(instances.url);
    const { url } = authorizeUrl(supplier, { vtr: '["P0.Cp.Cd"]', scope: 'openid' });
    let page = await browser.follow(url);
    page = await through(
      browser,
      await browser.post(page.url, { email: P0.email, password: TEST_PASSWORD }),
      'password',
    );
    expect(page.url).toMatch(/\/sign-in\/text-code$/);
    const textCode = (await latestCode(instances.database.db, P0.phone))!;

    await pgProxy.pause();
    const started = Date.now();
    try {
      // The journey's next page.
      const journeyPage = await browser.get('/sign-in/text-code');
      expect(journeyPage.status).toBe(503);
      expect(journeyPage.body).toContain(UNAVAILABLE);
      // A supplier sending someone new: /authorize may still answer from the instance's copy of
      // the supplier (a few seconds' cache), but the first page that needs the database says so.
      const newcomer = new HttpBrowser(instances.url);
      let step = await newcomer.get(authorizeUrl(supplier).url);
      for (let hops = 0; step.status === 303 && step.location && hops < 5; hops++)
        step = await newcomer.get(step.location);
      expect(step.status).toBe(503);
      expect(step.body).toContain(UNAVAILABLE);
      // A supplier's refresh (refresh tokens live in the database).
      const tokenResponse = await fetch(`${instances.url}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'refresh_token',
          refresh_token: 'anything',
          client_assertion_type: ASSERTION_TYPE,
          client_assertion: await clientAssertion(supplier, `${instances.url}/token`),
        }).toString(),
      });
      expect(tokenResponse.status).toBe(503);
      expect(await tokenResponse.json()).toMatchObject({ error: 'temporarily_unavailable' });
      expect(await readiness()).toEqual(alive().map(() => 503));
      // Answered promptly: failing fast, not waiting on a connection that will not come.
      expect(Date.now() - started).toBeLessThan(10_000);
      // Down for a few seconds in all; still answering 503 at the end of it.
      await sleep(Math.max(0, 4000 - (Date.now() - started)));
      expect(await readiness()).toEqual(alive().map(() => 503));
    } finally {
      await pgProxy.resume();
    }

    await untilReady();
    // No instance fell over (an unheard pool 'error' event would have ended it).
    expect(alive()).toHaveLength(2);
    // The journey carries on where it was (the person reloads the page): the
    // code sent before the outage still works.
    page = await browser.get('/sign-in/text-code');
    expect(page.status).toBe(200);
    page = await through(browser, await browser.post('/sign-in/text-code', { code: textCode }), 'text code');
    const tokens = await token(instances, supplier, callbackCode(page, supplier));
    expect(tokens.status).toBe(200);
    expect(tokens.body.id_token).toEqual(expect.any(String));
  });

  it('Redis unreachable: rate-limited actions fail closed, readiness is 503, the logs say so', async () => {
    await forgetCodesSent(redis, [P9.phone]);
    const browser = new HttpBrowser(instances.url);
    await browser.get('/sign-in');
    const logsBefore = alive().map((i) => i.logs.length);

    await redisProxy.pause();
    try {
      // The right password, but the attempt cannot be counted: refused, not checked unlimited,
      // and the person is told the service is unavailable (not that they tried too often).
      const attempt = await browser.post('/sign-in', { email: P9.email, password: TEST_PASSWORD });
      expect(attempt.status).toBe(503);
      expect(attempt.location).toBeUndefined();
      expect(attempt.body).toContain(UNAVAILABLE);
      expect(await latestCode(instances.database.db, P9.phone)).toBeUndefined();
      // Sessions live in Redis: a supplier's request gets the unavailable page.
      const authorize = await new HttpBrowser(instances.url).get(authorizeUrl(supplier).url);
      expect(authorize.status).toBe(503);
      expect(authorize.body).toContain(UNAVAILABLE);
      expect(await readiness()).toEqual(alive().map(() => 503));
      // Each instance says so in its log (the Redis client reports every failed reconnect).
      const saysSo = () =>
        alive().every((instance, n) => /redis/i.test(instance.logs.slice(logsBefore[n]).join('')));
      for (let waited = 0; !saysSo() && waited < 10_000; waited += 200) await sleep(200);
      expect(saysSo()).toBe(true);
    } finally {
      await redisProxy.resume();
    }

    await untilReady();
    await forgetCodesSent(redis, [P0.phone]);
    const again = await signIn(instances, new HttpBrowser(instances.url), supplier, P0);
    expect((await token(instances, supplier, again.code)).status).toBe(200);
  });
});
