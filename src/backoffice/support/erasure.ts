// Erasing an account that support scheduled for erasure: a grace period in
// which the patient can cancel (from their account page), then the
// housekeeping job (runtime.ts) erases it the same way the patient's own
// "delete your NHS login" does, records A-ACCOUNT-ERASED and tells them.
import type { Notifier } from '../../adapters/notify/port.js';
import { AUDIT_EVENTS } from '../../audit/events.js';
import type { AuditLog } from '../../audit/log.js';
import { deleteAccount } from '../../store/accounts.js';
import type { Db } from '../../store/db.js';
import { accountsDueForErasure } from '../../store/support.js';

/**
 * Days between support scheduling an erasure and the account being erased.
 * A constant rather than configuration: the back office's dependencies
 * (kit.ts) carry no configuration yet. Move it to config.ts (for example
 * ERASURE_GRACE_DAYS) and BackofficeDeps when an operator needs to change it.
 */
export const ERASURE_GRACE_DAYS = 30;

export function erasureDate(from = new Date(), days = ERASURE_GRACE_DAYS): Date {
  return new Date(from.getTime() + days * 24 * 60 * 60 * 1000);
}

export interface ErasureDeps {
  db: Db;
  audit: AuditLog;
  notifier: Notifier;
  /** Where a failed notice is reported (the account is erased already). */
  onNotifyError?: (e: unknown) => void;
}

/** Erases every account whose erasure is due by `now`; returns the ids erased. */
export async function eraseDueAccounts(deps: ErasureDeps, now = new Date()): Promise<string[]> {
  const erased: string[] = [];
  for (const account of await accountsDueForErasure(deps.db, now)) {
    // Only if still due: a person who cancelled a moment ago keeps the account.
    if (!(await deleteAccount(deps.db, account.id, { eraseDueBy: now }))) continue;
    erased.push(account.id);
    await deps.audit.record({
      code: AUDIT_EVENTS.ACCOUNT_ERASED,
      accountId: account.id,
      details: {
        scheduledFor: account.erase_after ? new Date(account.erase_after).toISOString() : undefined,
      },
    });
    try {
      await deps.notifier.send({ type: 'email-account-changed', to: account.email, change: 'deleted' });
    } catch (e) {
      deps.onNotifyError?.(e);
    }
  }
  return erased;
}
