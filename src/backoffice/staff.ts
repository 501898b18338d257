// Staff members and their invitations. An invitation is a random 32-byte
// token sent as a link; only its SHA-256 is stored, it works once and for
// 72 hours. The CLI (first operator) and the invite page both come here.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { STAFF_INVITATION_EXPIRY_HOURS } from '../adapters/notify/messages.js';
import type { Db } from '../store/db.js';
import type { StaffMember } from '../store/schema.js';
import type { StaffRole } from './roles.js';

export const INVITATION_TTL_MS = STAFF_INVITATION_EXPIRY_HOURS * 60 * 60 * 1000;

export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function setupLink(issuer: string, token: string): string {
  return `${issuer.replace(/\/+$/, '')}/backoffice/setup/${token}`;
}

export async function findStaffByEmail(db: Db, email: string): Promise<StaffMember | undefined> {
  return db
    .selectFrom('staff_members')
    .selectAll()
    .where((eb) => eb(eb.fn('lower', ['email']), '=', email.trim().toLowerCase()))
    .executeTakeFirst();
}

export async function findStaffById(db: Db, id: string): Promise<StaffMember | undefined> {
  return db.selectFrom('staff_members').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Staff of one organisation, or everyone (for the service operator's own staff). */
export async function listStaff(db: Db, odsCode?: string): Promise<StaffMember[]> {
  let q = db.selectFrom('staff_members').selectAll();
  if (odsCode) q = q.where('ods_code', '=', odsCode);
  return q.orderBy('ods_code').orderBy('email').execute();
}

/**
 * Disables a member (their sessions end at their next request, their
 * passkeys and password stop working) or gives access back: active again
 * when they had set up, invited when they never did.
 */
export async function setStaffAccess(
  db: Db,
  staff: StaffMember,
  access: 'disable' | 'enable',
): Promise<void> {
  const status = access === 'disable' ? 'disabled' : staff.password_hash ? 'active' : 'invited';
  await db.transaction().execute(async (trx) => {
    await trx
      .updateTable('staff_members')
      .set({ status, updated_at: new Date() })
      .where('id', '=', staff.id)
      .execute();
    if (access === 'disable')
      await trx.deleteFrom('staff_sessions').where('staff_id', '=', staff.id).execute();
  });
}

export type InviteResult = { ok: true; staff: StaffMember; token: string } | { ok: false; reason: 'exists' };

/**
 * Creates an invited staff member and their one-time setup token. An email
 * that already has a staff account is refused.
 */
export async function inviteStaff(
  db: Db,
  input: { email: string; name: string; odsCode: string; role: StaffRole; invitedBy: string | null },
  now = Date.now(),
): Promise<InviteResult> {
  const token = randomBytes(32).toString('base64url');
  try {
    const staff = await db.transaction().execute(async (trx) => {
      const member = await trx
        .insertInto('staff_members')
        .values({
          id: randomUUID(),
          email: input.email.trim(),
          name: input.name.trim(),
          ods_code: input.odsCode,
          role: input.role,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      await trx
        .insertInto('staff_invitations')
        .values({
          token_hash: tokenHash(token),
          staff_id: member.id,
          invited_by: input.invitedBy,
          expires_at: new Date(now + INVITATION_TTL_MS),
        })
        .execute();
      return member;
    });
    return { ok: true, staff, token };
  } catch (e) {
    if (typeof e === 'object' && e !== null && (e as { code?: unknown }).code === '23505') {
      return { ok: false, reason: 'exists' };
    }
    throw e;
  }
}

export interface OpenInvitation {
  tokenHash: string;
  staff: StaffMember;
  pendingTotpSecret: string | null;
}

/** The invitation a token names, if it is unused and unexpired. */
export async function openInvitation(
  db: Db,
  token: string,
  now = new Date(),
): Promise<OpenInvitation | undefined> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return undefined;
  const hash = tokenHash(token);
  const row = await db
    .selectFrom('staff_invitations')
    .selectAll()
    .where('token_hash', '=', hash)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  if (!row) return undefined;
  const staff = await findStaffById(db, row.staff_id);
  if (!staff || staff.status !== 'invited') return undefined;
  return { tokenHash: hash, staff, pendingTotpSecret: row.pending_totp_secret };
}

export async function setPendingSecret(db: Db, hash: string, sealed: string): Promise<void> {
  await db
    .updateTable('staff_invitations')
    .set({ pending_totp_secret: sealed })
    .where('token_hash', '=', hash)
    .execute();
}

/**
 * Uses the invitation and activates the member with their password and
 * authenticator app, in one transaction that claims the invitation only if
 * it is still unused and unexpired (two tabs racing: one wins).
 */
export async function completeSetup(
  db: Db,
  invitation: OpenInvitation,
  credentials: { passwordHash: string; sealedTotpSecret: string; totpStep: number },
): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const now = new Date();
    const claimed = await trx
      .updateTable('staff_invitations')
      .set({ used_at: now, pending_totp_secret: null })
      .where('token_hash', '=', invitation.tokenHash)
      .where('used_at', 'is', null)
      .where('expires_at', '>', now)
      .executeTakeFirst();
    if (claimed.numUpdatedRows === 0n) return false;
    await trx
      .updateTable('staff_members')
      .set({
        status: 'active',
        password_hash: credentials.passwordHash,
        totp_secret: credentials.sealedTotpSecret,
        totp_last_step: credentials.totpStep,
        updated_at: now,
      })
      .where('id', '=', invitation.staff.id)
      .execute();
    return true;
  });
}
