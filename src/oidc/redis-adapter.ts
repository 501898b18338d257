// oidc-provider's short-lived artifacts in Redis when REDIS_URL is set, so
// several instances share sessions, interactions, codes and replay records
// (the shape of oidc-provider's own Redis adapter example). What must outlive
// a Redis failure stays in the database: suppliers, grants, refresh tokens
// (30 days: losing them would sign every person out of every supplier) and
// who a delegate chose to act for under a grant.
import type { Redis } from 'ioredis';
import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { Db } from '../store/db.js';
import { ACTING_FOR_MODEL } from './acting-for.js';
import { DbAdapter } from './adapter.js';
import { refuseSecondUse } from './consume-once.js';
import type { AddIfAbsent } from './replay-detection.js';

const CONSUMABLE = new Set([
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
]);

/** Models kept in the database even with Redis. */
export const DURABLE_MODELS = new Set(['Client', 'Grant', 'RefreshToken', ACTING_FOR_MODEL]);

const CONSUME_ONCE = `
  if redis.call('exists', KEYS[1]) == 0 then return -1 end
  return redis.call('hsetnx', KEYS[1], 'consumed', ARGV[1])
`;

const grantKey = (id: string) => `oidc:grant:${id}`;
const userCodeKey = (userCode: string) => `oidc:userCode:${userCode}`;
const uidKey = (uid: string) => `oidc:uid:${uid}`;

export class RedisAdapter implements Adapter, AddIfAbsent {
  private readonly durable: DbAdapter | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly name: string,
    db: Db,
  ) {
    this.durable = DURABLE_MODELS.has(name) ? new DbAdapter(db, name) : undefined;
  }

  private key(id: string): string {
    return `oidc:${this.name}:${id}`;
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
    if (this.durable) return this.durable.upsert(id, payload, expiresIn);
    const key = this.key(id);
    const multi = this.redis.multi();
    if (CONSUMABLE.has(this.name)) multi.hset(key, { payload: JSON.stringify(payload) });
    else multi.set(key, JSON.stringify(payload));
    if (expiresIn) multi.expire(key, expiresIn);
    if (payload.grantId) {
      const gk = grantKey(payload.grantId);
      multi.rpush(gk, key);
      // The grant list lives as long as its longest member: a new list takes this
      // member's lifetime (NX), a list that would die sooner is extended (GT).
      // Both in the same transaction, so no round trip to read the TTL first (Redis 7).
      if (expiresIn) multi.expire(gk, expiresIn, 'NX').expire(gk, expiresIn, 'GT');
    }
    if (payload.userCode) {
      multi.set(userCodeKey(payload.userCode), id);
      if (expiresIn) multi.expire(userCodeKey(payload.userCode), expiresIn);
    }
    if (payload.uid) {
      multi.set(uidKey(payload.uid), id);
      if (expiresIn) multi.expire(uidKey(payload.uid), expiresIn);
    }
    await multi.exec();
  }

  async addIfAbsent(id: string, payload: AdapterPayload, expiresIn: number): Promise<boolean> {
    if (this.durable) return this.durable.addIfAbsent(id, payload, expiresIn);
    const stored = await this.redis.set(this.key(id), JSON.stringify(payload), 'EX', expiresIn, 'NX');
    return stored === 'OK';
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    if (this.durable) return this.durable.find(id);
    const key = this.key(id);
    if (CONSUMABLE.has(this.name)) {
      const data = await this.redis.hgetall(key);
      if (!data.payload) return undefined;
      return {
        ...(JSON.parse(data.payload) as AdapterPayload),
        ...(data.consumed ? { consumed: Number(data.consumed) } : {}),
      };
    }
    const data = await this.redis.get(key);
    return data ? (JSON.parse(data) as AdapterPayload) : undefined;
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    if (this.durable) return this.durable.findByUid(uid);
    const id = await this.redis.get(uidKey(uid));
    return id ? this.find(id) : undefined;
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    if (this.durable) return this.durable.findByUserCode(userCode);
    const id = await this.redis.get(userCodeKey(userCode));
    return id ? this.find(id) : undefined;
  }

  async destroy(id: string): Promise<void> {
    if (this.durable) return this.durable.destroy(id);
    await this.redis.del(this.key(id));
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    if (this.durable) return this.durable.revokeByGrantId(grantId);
    const multi = this.redis.multi();
    const tokens = await this.redis.lrange(grantKey(grantId), 0, -1);
    for (const token of tokens) multi.del(token);
    multi.del(grantKey(grantId));
    await multi.exec();
  }

  /** Marks it spent, once: a second request that got here at the same moment is refused (consume-once.ts). */
  async consume(id: string): Promise<void> {
    if (this.durable) return this.durable.consume(id);
    const key = this.key(id);
    // 1 marked now; 0 spent already; -1 gone since it was read (expired, or revoked by a
    // request that found it spent), and no hash is left behind without an expiry.
    const marked = await this.redis.eval(CONSUME_ONCE, 1, key, Math.floor(Date.now() / 1000));
    if (marked === 1) return;
    const payload = await this.redis.hget(key, 'payload');
    await refuseSecondUse(this.name, payload ? (JSON.parse(payload) as AdapterPayload).grantId : undefined);
  }
}
