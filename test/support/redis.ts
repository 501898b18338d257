// Redis for tests. Each test file that starts services on Redis uses a
// database of its own (the number in REDIS_URL's path), emptied at the
// start, so its rate-limit counters and sessions neither meet other test
// files' nor a previous run's (a person locked out by the last run would
// still be locked out for 15 minutes).
import { Redis } from 'ioredis';
/** The machine's Redis (TEST_REDIS_URL to use another). */
export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

async function reachable(url: string): Promise<boolean> {
  const probe = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    connectTimeout: 2000,
  });
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

/** Whether Redis answers; throws under REQUIRE_REDIS=1 when it does not, else warns that `what` is skipped. */
export async function redisAvailable(what: string): Promise<boolean> {
  if (await reachable(REDIS_URL)) return true;
  if (process.env.REQUIRE_REDIS === '1')
    throw new Error(`REQUIRE_REDIS=1 but no Redis answers at ${REDIS_URL}`);
  console.warn(`SKIPPING ${what}: nothing answers at ${REDIS_URL}`);
  return false;
}

/** REDIS_URL with database `n`, emptied; and a client on it. */
export async function ownRedisDatabase(n: number): Promise<{ url: string; redis: Redis }> {
  const u = new URL(REDIS_URL);
  u.pathname = `/${n}`;
  const redis = new Redis(u.toString());
  await redis.flushdb();
  return { url: u.toString(), redis };
}

/**
 * Forgets how many codes were sent to these phones, and how many codes and
 * password attempts came from the loopback address every test request comes
 * from: the scale tests sign the same people in more often than those limits
 * (5 codes per number in 15 minutes, 50 per address in an hour) allow, and
 * those limits are not what they test.
 */
export async function forgetCodesSent(redis: Redis, phones: string[]): Promise<void> {
  await redis.del(
    ...phones.map((p) => `rl:codesSentPerRecipient:${p}`),
    'rl:codesSentPerIp:127.0.0.1',
    'rl:passwordAttemptsPerIp:127.0.0.1',
  );
}
