// Which patients a member of support staff may see and act on: the
// operator's own staff (OPERATOR_ODS_CODE) see everyone; staff of any other
// organisation see only patients registered there (accounts.gp_ods_code),
// and anyone else is "not found". Nobody opens their own patient account
// (same email address as their staff account): a colleague must help.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { findAccountById, type Account } from '../../store/accounts.js';
import type { StaffMember } from '../../store/schema.js';
import type { BackofficeKit } from '../kit.js';
import { OPERATOR_ODS_CODE } from '../roles.js';

/** The GP practice a staff member's searches are limited to; undefined for the operator's staff. */
export function gpScopeOf(staff: StaffMember): string | undefined {
  return staff.ods_code === OPERATOR_ODS_CODE ? undefined : staff.ods_code;
}

export function inScope(staff: StaffMember, account: Account): boolean {
  const scope = gpScopeOf(staff);
  return scope === undefined || account.gp_ods_code === scope;
}

/** Is this patient account the staff member's own? */
export function isOwnAccount(staff: StaffMember, account: Account): boolean {
  return staff.email.trim().toLowerCase() === account.email.trim().toLowerCase();
}

/** Opaque ids only: anything else (very long, control characters) is simply not found. */
const ACCOUNT_ID = /^[A-Za-z0-9-]{1,64}$/;

/**
 * The patient named by `:accountId`, when this staff member may open it;
 * otherwise the 404 or 403 page is sent and undefined returned.
 */
export async function patientFor(
  kit: BackofficeKit,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<Account | undefined> {
  const { staff } = kit.staffOf(request);
  const { accountId } = request.params as { accountId?: string };
  const account =
    accountId && ACCOUNT_ID.test(accountId) ? await findAccountById(kit.deps.db, accountId) : undefined;
  if (!account || !inScope(staff, account)) {
    kit.notFound(reply);
    return undefined;
  }
  if (isOwnAccount(staff, account)) {
    kit.send(reply, 403, 'support/own-account', { pageTitle: 'You cannot open your own NHS login' });
    return undefined;
  }
  return account;
}
