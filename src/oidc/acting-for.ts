// "Whose care are you managing today?" (ours): the answer a delegate gives
// while signing in at a supplier that asked for `delegations`, returned to
// that supplier as the `acting_for` claim, the grantor's `sub`, which it sends
// as requested_subject in the token exchange.
//
// The answer belongs to that authorization. Each answered chooser gets a
// grant of its own (the interaction result names it, and loadExistingGrant
// in provider.ts adds the requested scopes to it); the answer is kept beside
// the grant under its id for as long as the grant lives, so the ID tokens of
// later refreshes say the same. It is checked against the delegations usable
// at that moment every time it is released: a revoked, suspended or expired
// delegation is never named.
import type Provider from 'oidc-provider';
import type { Account } from '../store/accounts.js';
import type { Db } from '../store/db.js';
import type { AdapterFactory } from './access-token.js';
import { usableDelegations } from './delegations-claim.js';

/** The adapter model the answers are kept under (one per grant). */
export const ACTING_FOR_MODEL = 'ActingFor';

interface ActingForRecord {
  grantorId: string;
}

/**
 * A new grant for this sign-in, with the person it acts for (none: the
 * delegate chose their own care). Returns the grant id for the interaction
 * result's consent.
 */
export async function grantActingFor(
  provider: Provider,
  adapter: AdapterFactory,
  sign: { accountId: string; clientId: string; grantorId: string | undefined },
): Promise<string> {
  const grant = new provider.Grant({ accountId: sign.accountId, clientId: sign.clientId });
  await grant.save();
  if (sign.grantorId) {
    const record: ActingForRecord = { grantorId: sign.grantorId };
    const ttl = Math.max(1, (grant.exp ?? 0) - Math.floor(Date.now() / 1000));
    await adapter(ACTING_FOR_MODEL).upsert(grant.jti, record as never, ttl);
  }
  return grant.jti;
}

/** The grantor's sub this authorization acts for, while that delegation is still usable. */
export async function actingForClaim(
  deps: { db: Db; adapter: AdapterFactory },
  delegate: Pick<Account, 'id' | 'proofing_level'>,
  grantId: string | undefined,
): Promise<string | undefined> {
  if (!grantId) return undefined;
  const record = (await deps.adapter(ACTING_FOR_MODEL).find(grantId)) as ActingForRecord | undefined;
  if (!record?.grantorId) return undefined;
  const usable = await usableDelegations(deps.db, delegate);
  return usable.some(({ grantor }) => grantor.id === record.grantorId) ? record.grantorId : undefined;
}
