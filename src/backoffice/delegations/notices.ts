// Telling both people about a change to a delegation: the grantor (who may be
// a child with an NHS login of their own) and the delegate, each at their own
// account's email address, each naming the other. The change is made already,
// so a notice that cannot be sent is reported, never thrown.
import type { DelegationChange, Notifier } from '../../adapters/notify/port.js';
import { findAccountById, type Account } from '../../store/accounts.js';
import type { Db } from '../../store/db.js';
import type { Delegation } from '../../store/delegations.js';

/** A person's name as proven, or a fallback for the notice. */
export function personName(a: Pick<Account, 'given_name' | 'family_name'> | undefined): string {
  const name = [a?.given_name, a?.family_name].filter(Boolean).join(' ');
  return name || 'Someone';
}

export interface NoticeDeps {
  db: Db;
  notifier: Notifier;
  /** Where a notice that could not be sent is reported. */
  onNotifyError?: ((e: unknown) => void) | undefined;
}

/**
 * Emails both people about `change`. For a delegation still waiting for its
 * invitee, only the grantor (the other person named as invited).
 */
export async function tellBoth(
  deps: NoticeDeps,
  delegation: Pick<Delegation, 'grantor_id' | 'delegate_id' | 'invitee_given_name' | 'invitee_family_name'>,
  change: DelegationChange,
): Promise<void> {
  const [grantor, delegate] = await Promise.all([
    findAccountById(deps.db, delegation.grantor_id),
    delegation.delegate_id ? findAccountById(deps.db, delegation.delegate_id) : undefined,
  ]);
  const delegateName = delegate
    ? personName(delegate)
    : personName({
        given_name: delegation.invitee_given_name,
        family_name: delegation.invitee_family_name,
      });
  const send = async (to: string, role: 'grantor' | 'delegate', otherName: string) => {
    try {
      await deps.notifier.send({ type: 'email-delegation-changed', to, change, role, otherName });
    } catch (e) {
      deps.onNotifyError?.(e);
    }
  };
  if (grantor) await send(grantor.email, 'grantor', delegateName);
  if (delegate) await send(delegate.email, 'delegate', personName(grantor));
}
