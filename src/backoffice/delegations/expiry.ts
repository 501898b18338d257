// The housekeeping sweep for delegations (runtime.ts, on the maintenance
// timer): ends every delegation whose end date or review date has passed, or
// whose child has turned 16, audits each, and tells both people. A child who
// turns 16 is told they can now give access themselves. The token exchange
// checks the same dates itself, so a late sweep lets nobody act.
import type { Notifier } from '../../adapters/notify/port.js';
import { AUDIT_EVENTS } from '../../audit/events.js';
import type { AuditLog } from '../../audit/log.js';
import type { ExpiryReason } from '../../domain/delegation.js';
import type { Db } from '../../store/db.js';
import { expireDue } from '../../store/delegations.js';
import { tellBoth } from './notices.js';

export interface ExpiryDeps {
  db: Db;
  audit: AuditLog;
  notifier: Notifier;
  /** Today in the UK, YYYY-MM-DD. */
  today: string;
  /** Where a notice that could not be sent is reported (the delegation has ended already). */
  onNotifyError?: (e: unknown) => void;
}

/** Ends what is due today; returns the delegations ended and why. */
export async function expireDelegations(
  deps: ExpiryDeps,
): Promise<{ delegationId: string; reason: ExpiryReason }[]> {
  const ended = await expireDue(deps.db, deps.today);
  for (const { delegation, reason } of ended) {
    await deps.audit.record({
      code: AUDIT_EVENTS.DELEGATION_EXPIRED,
      accountId: delegation.grantor_id,
      details: {
        delegationId: delegation.id,
        delegateId: delegation.delegate_id,
        origin: delegation.origin,
        reason,
      },
    });
    await tellBoth(deps, delegation, reason === 'turned-16' ? 'turned-16' : 'expired');
  }
  return ended.map(({ delegation, reason }) => ({ delegationId: delegation.id, reason }));
}
