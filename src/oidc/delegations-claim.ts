// The `delegations` claim (ours): the people the signed-in person may act for
// at this supplier right now, each with what they may do and until when.
// Only delegations the token exchange would honour today are listed (active,
// in date, both people P9), so a supplier never offers a choice that the
// exchange then refuses. The grantor's NHS number is included only when the
// supplier also has the `profile` scope, as for the person's own.
import { mayAct, type Permission } from '../domain/delegation.js';
import type { Account } from '../store/accounts.js';
import type { Db } from '../store/db.js';
import { activeDelegationsFor, delegationTimes, type ActingFor } from '../store/delegations.js';
import type { Sealer } from '../store/encryption.js';
import { ukToday } from './token-exchange.js';

export interface DelegationClaim {
  /** The grantor's `sub`: what the supplier sends as requested_subject. */
  sub: string;
  given_name?: string;
  family_name?: string;
  birthdate?: string;
  nhs_number?: string;
  relationship: string;
  permissions: Permission[];
  /** YYYY-MM-DD: the last day it works (its end date or review date), or null. */
  expires: string | null;
}

/** The delegations this person could act on today: what the claim lists and the sign-in chooser offers. */
export async function usableDelegations(
  db: Db,
  delegate: Pick<Account, 'id' | 'proofing_level'>,
): Promise<ActingFor[]> {
  const today = ukToday();
  const rows = await activeDelegationsFor(db, delegate.id);
  return rows.filter(
    ({ delegation: d, grantor }) =>
      mayAct({
        status: d.status,
        times: delegationTimes(d, grantor.birthdate),
        today,
        grantorLevel: grantor.proofing_level,
        delegateLevel: delegate.proofing_level,
        alreadyActing: false,
      }) === undefined,
  );
}

export async function delegationsClaim(
  db: Db,
  sealer: Sealer,
  delegate: Pick<Account, 'id' | 'proofing_level'>,
  scopes: readonly string[],
): Promise<DelegationClaim[]> {
  const withNhsNumber = scopes.includes('profile');
  return (await usableDelegations(db, delegate)).map(({ delegation: d, grantor }) => ({
    sub: grantor.id,
    ...(grantor.given_name ? { given_name: grantor.given_name } : {}),
    ...(grantor.family_name ? { family_name: grantor.family_name } : {}),
    ...(grantor.birthdate ? { birthdate: grantor.birthdate } : {}),
    ...(withNhsNumber && grantor.nhs_number ? { nhs_number: sealer.open(grantor.nhs_number) } : {}),
    relationship: d.relationship,
    permissions: d.permissions,
    expires: lastDay(d.ends_on, d.review_on),
  }));
}

/** The earlier of the end date (inclusive) and the day before the review date. */
function lastDay(endsOn: string | null, reviewOn: string | null): string | null {
  const beforeReview = reviewOn
    ? new Date(Date.parse(`${reviewOn}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10)
    : null;
  if (endsOn && beforeReview) return endsOn < beforeReview ? endsOn : beforeReview;
  return endsOn ?? beforeReview;
}
