// Named limits on guessing and on sending. Each entry is configuration: how
// many attempts in what window, and how long a key is then blocked. Limits
// that protect an account grow their block each time they trip in a day
// (back-off). Counters live in memory for a single embedded instance, or in
// Redis when several instances share them; if Redis cannot be reached the
// limit fails closed: no answer means no attempt.
import {
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';
import type { Redis } from 'ioredis';

export interface LimitRule {
  points: number;
  /** Window, seconds. */
  duration: number;
  /** Block once the window's points are spent, seconds. */
  blockDuration: number;
  /** Double the block each time it trips within a day, up to a day. */
  backOff?: boolean;
}

export const RATE_LIMITS = {
  /** Wrong passwords for one account, from anywhere. */
  passwordFailuresPerAccount: { points: 5, duration: 15 * 60, blockDuration: 15 * 60, backOff: true },
  /** Password attempts from one IP address, any account. */
  passwordAttemptsPerIp: { points: 100, duration: 60 * 60, blockDuration: 60 * 60 },
  /** Wrong security codes (text, email or authenticator app) for one account or registration. */
  codeFailuresPerSubject: { points: 10, duration: 60 * 60, blockDuration: 60 * 60, backOff: true },
  /** Codes sent to one email address or phone number. */
  codesSentPerRecipient: { points: 5, duration: 15 * 60, blockDuration: 15 * 60 },
  /** Codes sent at the request of one IP address. */
  codesSentPerIp: { points: 50, duration: 60 * 60, blockDuration: 60 * 60 },
  /** Users (SCIM) API searches by one supplier. */
  usersApiQueriesPerSupplier: { points: 600, duration: 60, blockDuration: 60 },
  /** Back-office searches (support's patient search, the auditor's log search) by one member of staff. */
  staffSearchesPerStaff: { points: 30, duration: 5 * 60, blockDuration: 15 * 60 },
  /** Passkey sign-in challenges asked for by one IP address (the request needs no account). */
  passkeyOptionsPerIp: { points: 60, duration: 5 * 60, blockDuration: 5 * 60 },
  /**
   * Proving identity: attempts that did not end in a match (no match, several,
   * a deceased person's record, a number another account holds) for one account.
   */
  proofingAttemptsPerAccount: { points: 5, duration: 24 * 60 * 60, blockDuration: 24 * 60 * 60 },
  /** The same, from one IP address (one device, or many accounts behind it), any account. */
  proofingAttemptsPerIp: { points: 20, duration: 60 * 60, blockDuration: 60 * 60 },
  /**
   * Claiming an account provisioned in person: date of birth and postcode that
   * did not match, for one provisioning request. The last one cancels the
   * request (the person asks the practice again), so the window is the link's life.
   */
  claimAttemptsPerRequest: { points: 5, duration: 7 * 24 * 60 * 60, blockDuration: 7 * 24 * 60 * 60 },
  /**
   * Provisioning in person (the back office and the Provision Account API):
   * requests made by one organisation (ODS code), whichever member of staff
   * or client made them. Over the limit the request is refused (11011).
   */
  provisionRequestsPerOrganisation: { points: 200, duration: 24 * 60 * 60, blockDuration: 60 * 60 },
  /** Photo ID checks sent by one account (each costs seconds of face comparison), whatever their outcome. */
  photoIdChecksPerAccount: { points: 5, duration: 24 * 60 * 60, blockDuration: 24 * 60 * 60 },
  /** Photo ID checks sent from one IP address (one device, or many accounts behind it). */
  photoIdChecksPerIp: { points: 20, duration: 60 * 60, blockDuration: 60 * 60 },
  /** Delegation invitations sent by one person (each is an email to an address they typed). */
  delegationInvitationsPerGrantor: { points: 10, duration: 24 * 60 * 60, blockDuration: 24 * 60 * 60 },
} satisfies Record<string, LimitRule>;

export type LimitName = keyof typeof RATE_LIMITS;

export interface LimitDecision {
  allowed: boolean;
  retryAfterSeconds: number;
}

/** check and hit throw RateLimitsUnavailable when the counters cannot be reached (fail closed). */
export interface RateLimits {
  /** Is the key blocked now? Consumes nothing. */
  check(name: LimitName, key: string): Promise<LimitDecision>;
  /**
   * Counts one attempt (a failure, or a send). `allowed` says whether it was
   * within the limit; `retryAfterSeconds` > 0 means the key is now blocked.
   */
  hit(name: LimitName, key: string): Promise<LimitDecision>;
  /** Clears the count, after a success. */
  reset(name: LimitName, key: string): Promise<void>;
}

const DAY = 24 * 60 * 60;

export type LimitOverrides = Partial<Record<LimitName, Partial<LimitRule>>>;

/** The counters could not be read or written (Redis unreachable): the limited action is not taken. */
export class RateLimitsUnavailable extends Error {
  constructor(cause: unknown) {
    super('rate limits unavailable: the counter store did not answer', { cause });
    this.name = 'RateLimitsUnavailable';
  }
}

export function createRateLimits(
  options: { redis?: Redis; onStoreError?: (e: unknown) => void; overrides?: LimitOverrides } = {},
): RateLimits {
  const rules = Object.fromEntries(
    (Object.entries(RATE_LIMITS) as [LimitName, LimitRule][]).map(([name, rule]) => [
      name,
      { ...rule, ...options.overrides?.[name] },
    ]),
  ) as Record<LimitName, LimitRule>;
  const make = (
    keyPrefix: string,
    rule: { points: number; duration: number; blockDuration?: number },
  ): RateLimiterAbstract =>
    options.redis
      ? new RateLimiterRedis({ storeClient: options.redis, keyPrefix: `rl:${keyPrefix}`, ...rule })
      : new RateLimiterMemory({ keyPrefix, ...rule });
  const limiters = new Map<LimitName, RateLimiterAbstract>();
  const trips = new Map<LimitName, RateLimiterAbstract>();
  for (const [name, rule] of Object.entries(rules) as [LimitName, LimitRule][]) {
    limiters.set(name, make(name, rule));
    if (rule.backOff) trips.set(name, make(`${name}:trips`, { points: 1000, duration: DAY }));
  }
  // No answer from Redis means no attempt: the request stops here and answers
  // 503 "try again shortly" (src/web/unavailable.ts), rather than "too many
  // attempts", which would not be true, or an unlimited guess, which is the risk.
  const failClosed = (e: unknown): never => {
    options.onStoreError?.(e);
    throw new RateLimitsUnavailable(e);
  };
  const limiter = (name: LimitName) => limiters.get(name)!;

  return {
    async check(name, key) {
      try {
        const res = await limiter(name).get(key);
        if (res && res.remainingPoints <= 0 && res.msBeforeNext > 0) {
          return { allowed: false, retryAfterSeconds: Math.ceil(res.msBeforeNext / 1000) };
        }
        return { allowed: true, retryAfterSeconds: 0 };
      } catch (e) {
        return failClosed(e);
      }
    },
    async hit(name, key) {
      const rule = rules[name];
      try {
        const res = await limiter(name).consume(key);
        if (res.remainingPoints > 0) return { allowed: true, retryAfterSeconds: 0 };
        // This attempt used the last point: block from now, longer each time it happens in a day.
        let seconds = rule.blockDuration;
        const tripCounter = trips.get(name);
        if (tripCounter) {
          const t = await tripCounter.consume(key);
          seconds = Math.min(DAY, rule.blockDuration * 2 ** (t.consumedPoints - 1));
        }
        await limiter(name).block(key, seconds);
        return { allowed: true, retryAfterSeconds: seconds };
      } catch (e) {
        if (!(e instanceof RateLimiterRes)) return failClosed(e);
        return { allowed: false, retryAfterSeconds: Math.ceil(e.msBeforeNext / 1000) };
      }
    },
    async reset(name, key) {
      try {
        await limiter(name).delete(key);
      } catch (e) {
        options.onStoreError?.(e);
      }
    },
  };
}
