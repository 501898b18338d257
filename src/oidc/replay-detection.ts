// oidc-provider remembers each client assertion's jti (and each SSO
// assertion's) to refuse it a second time, but it checks with a read and then
// a write: two requests carrying the same assertion at the same moment could
// both pass. Here the check is one atomic "store unless present" (SET NX in
// Redis, insert … on conflict in the database): exactly one use gets through,
// and it costs one round trip instead of two.
import { createHash } from 'node:crypto';
import type Provider from 'oidc-provider';
import type { Adapter, AdapterPayload } from 'oidc-provider';

const REPLAY_DETECTION = 'ReplayDetection';

/** Our adapters' addition to oidc-provider's interface. */
export interface AddIfAbsent {
  /** Stores the payload unless a live one has this id; true when it stored it. */
  addIfAbsent(id: string, payload: AdapterPayload, expiresIn: number): Promise<boolean>;
}

const canAddIfAbsent = (adapter: Adapter): adapter is Adapter & AddIfAbsent =>
  typeof (adapter as Partial<AddIfAbsent>).addIfAbsent === 'function';

export function atomicReplayDetection(provider: Provider, adapterFor: (name: string) => Adapter): void {
  const adapter = adapterFor(REPLAY_DETECTION);
  if (!canAddIfAbsent(adapter)) return;
  provider.ReplayDetection.unique = async (iss: string, jti: string, exp: number): Promise<boolean> => {
    // The same id as oidc-provider's own: a hash of issuer and jti.
    const id = createHash('sha256').update(`${iss}${jti}`).digest('base64url');
    const now = Math.floor(Date.now() / 1000);
    return adapter.addIfAbsent(
      id,
      { jti: id, iss, kind: REPLAY_DETECTION, iat: now, exp },
      Math.max(1, exp - now),
    );
  };
}
