// What support staff read and change on a patient's account: finding it by
// email, mobile or NHS number (within the staff member's organisation),
// locking it, asking for a new password, removing the authenticator app,
// scheduling (and cancelling) its erasure, and everything held about the
// person for a subject access request.
import { sql } from 'kysely';
import { AUDIT_EVENTS } from '../audit/events.js';
import type { Db } from './db.js';
import { listProofingAttempts } from './accounts.js';
import type { Account, ProofingAttempt } from './schema.js';

/** How support searches; the value is already normalised (email lowercased, mobile +44, NHS number digits). */
export type SupportSearch =
  | { by: 'email'; email: string }
  | { by: 'phone'; phone: string }
  | { by: 'nhs-number'; nhsNumberHash: string };

/** Ends everything oidc-provider holds for the account: sessions, grants, codes and refresh tokens. */
async function endProviderState(db: Db, accountId: string): Promise<void> {
  await db
    .deleteFrom('oidc_payloads')
    .where(sql<string>`payload->>'accountId'`, '=', accountId)
    .execute();
}

/** At most this many accounts come back from one search. */
export const SUPPORT_SEARCH_MAX_RESULTS = 20;

/**
 * Accounts matching one search. `gpOdsCode` limits them to patients
 * registered at that organisation; undefined sees everyone (the operator's
 * own staff).
 */
export async function findAccountsForSupport(
  db: Db,
  search: SupportSearch,
  scope: { gpOdsCode: string | undefined },
): Promise<Account[]> {
  let query = db.selectFrom('accounts').selectAll();
  if (search.by === 'email') {
    // Postgres text cannot hold a NUL; the normalised address never has one, but be sure.
    if (search.email.includes('\u0000')) return [];
    query = query.where(sql<string>`lower(email)`, '=', search.email.toLowerCase());
  } else if (search.by === 'phone') {
    query = query.where('phone_number', '=', search.phone);
  } else {
    query = query.where('nhs_number_hash', '=', search.nhsNumberHash);
  }
  if (scope.gpOdsCode !== undefined) query = query.where('gp_ods_code', '=', scope.gpOdsCode);
  return query.orderBy('created_at').orderBy('id').limit(SUPPORT_SEARCH_MAX_RESULTS).execute();
}

/**
 * Locks the account and ends everything the provider holds for it
 * (sessions, grants, refresh tokens), as deleting it does. False when it
 * was locked already (or is gone).
 */
export async function lockAccount(db: Db, id: string, at = new Date()): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const r = await trx
      .updateTable('accounts')
      .set({ locked_at: at, updated_at: at })
      .where('id', '=', id)
      .where('locked_at', 'is', null)
      .executeTakeFirst();
    if (r.numUpdatedRows === 0n) return false;
    await endProviderState(trx, id);
    return true;
  });
}

/** False when it was not locked. */
export async function unlockAccount(db: Db, id: string): Promise<boolean> {
  const r = await db
    .updateTable('accounts')
    .set({ locked_at: null, updated_at: new Date() })
    .where('id', '=', id)
    .where('locked_at', 'is not', null)
    .executeTakeFirst();
  return r.numUpdatedRows > 0n;
}

/**
 * The next password sign-in must go through "reset your password" first, and
 * (as the password may be known to someone else) everything the provider
 * holds for the account ends now: sessions, grants and refresh tokens.
 * False when already asked.
 */
export async function requirePasswordReset(db: Db, id: string): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const r = await trx
      .updateTable('accounts')
      .set({ password_reset_required: true, updated_at: new Date() })
      .where('id', '=', id)
      .where('password_reset_required', '=', false)
      .executeTakeFirst();
    if (r.numUpdatedRows === 0n) return false;
    await endProviderState(trx, id);
    return true;
  });
}

/** Removes the authenticator app (its secret and last step). False when there was none. */
export async function removeAuthenticatorApp(db: Db, id: string): Promise<boolean> {
  const r = await db
    .updateTable('accounts')
    .set({ totp_secret: null, totp_last_step: null, updated_at: new Date() })
    .where('id', '=', id)
    .where('totp_secret', 'is not', null)
    .executeTakeFirst();
  return r.numUpdatedRows > 0n;
}

/** Schedules erasure after `at`. False when one is scheduled already. */
export async function scheduleErasure(db: Db, id: string, at: Date): Promise<boolean> {
  const r = await db
    .updateTable('accounts')
    .set({ erase_after: at, updated_at: new Date() })
    .where('id', '=', id)
    .where('erase_after', 'is', null)
    .executeTakeFirst();
  return r.numUpdatedRows > 0n;
}

/** Cancels a scheduled erasure. False when none was scheduled. */
export async function cancelErasure(db: Db, id: string): Promise<boolean> {
  const r = await db
    .updateTable('accounts')
    .set({ erase_after: null, updated_at: new Date() })
    .where('id', '=', id)
    .where('erase_after', 'is not', null)
    .executeTakeFirst();
  return r.numUpdatedRows > 0n;
}

/** Accounts whose erasure is due (erase_after has passed), oldest first. */
export async function accountsDueForErasure(db: Db, now = new Date(), limit = 100): Promise<Account[]> {
  return db
    .selectFrom('accounts')
    .selectAll()
    .where('erase_after', 'is not', null)
    .where('erase_after', '<=', now)
    .orderBy('erase_after')
    .limit(limit)
    .execute();
}

/** Has the person proved who they are (P-IDENTITY-PROVED) since `since`? */
export async function identityProvedSince(db: Db, accountId: string, since: Date): Promise<boolean> {
  const row = await db
    .selectFrom('audit_events')
    .select('id')
    .where('account_id', '=', accountId)
    .where('code', '=', AUDIT_EVENTS.IDENTITY_PROVED)
    .where('at', '>=', since)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

export interface AuditRow {
  id: number;
  at: Date;
  code: string;
  clientId: string | null;
  ip: string | null;
  details: Record<string, unknown>;
}

/** The person's audit events with these codes (all codes when none given), newest first. */
export async function auditEventsOf(
  db: Db,
  accountId: string,
  options: { codes?: readonly string[]; limit?: number } = {},
): Promise<AuditRow[]> {
  let query = db
    .selectFrom('audit_events')
    .select(['id', 'at', 'code', 'client_id', 'ip', 'details'])
    .where('account_id', '=', accountId);
  if (options.codes) {
    if (!options.codes.length) return [];
    query = query.where('code', 'in', [...options.codes]);
  }
  if (options.limit !== undefined) query = query.limit(options.limit);
  const rows = await query.orderBy('id', 'desc').execute();
  return rows.map((r) => ({
    id: Number(r.id),
    at: new Date(r.at),
    code: r.code,
    clientId: r.client_id,
    ip: r.ip,
    details: r.details && typeof r.details === 'object' ? r.details : {},
  }));
}

export interface HeldAboutPerson {
  account: Account;
  clientUserMetadata: { clientId: string; value: string; updatedAt: Date }[];
  rememberedDevices: { createdAt: Date; expiresAt: Date }[];
  /** What oidc-provider holds for the person (sessions, grants, tokens), counted by kind. */
  providerRecords: { type: string; count: number }[];
  /** Every attempt to prove who they are, with the evidence and decision kept for it, newest first. */
  proofingAttempts: ProofingAttempt[];
  /** Emails and texts in the development outbox to the person's address or phone, newest first. */
  messages: {
    at: Date;
    channel: 'email' | 'sms';
    recipient: string;
    subject: string;
    body: string;
  }[];
}

/** Everything the store holds about one person, for a subject access request (services and audit read apart). */
export async function heldAboutPerson(db: Db, account: Account): Promise<HeldAboutPerson> {
  const [metadata, devices, provider, messages, proofingAttempts] = await Promise.all([
    db
      .selectFrom('client_user_metadata')
      .select(['client_id', 'value', 'updated_at'])
      .where('account_id', '=', account.id)
      .orderBy('client_id')
      .execute(),
    db
      .selectFrom('remembered_devices')
      .select(['created_at', 'expires_at'])
      .where('account_id', '=', account.id)
      .orderBy('created_at')
      .execute(),
    db
      .selectFrom('oidc_payloads')
      .select(['type', sql<number>`count(*)::int`.as('count')])
      .where(sql<string>`payload->>'accountId'`, '=', account.id)
      .groupBy('type')
      .orderBy('type')
      .execute(),
    db
      .selectFrom('outbox')
      .select(['created_at', 'channel', 'recipient', 'subject', 'body'])
      .where((eb) =>
        eb.or([
          eb(sql<string>`lower(recipient)`, '=', account.email.toLowerCase()),
          eb('recipient', '=', account.phone_number),
          ...(account.landline_number ? [eb('recipient', '=', account.landline_number)] : []),
        ]),
      )
      .orderBy('id', 'desc')
      .execute(),
    listProofingAttempts(db, account.id),
  ]);
  return {
    account,
    proofingAttempts,
    clientUserMetadata: metadata.map((m) => ({
      clientId: m.client_id,
      value: m.value,
      updatedAt: new Date(m.updated_at),
    })),
    rememberedDevices: devices.map((d) => ({
      createdAt: new Date(d.created_at),
      expiresAt: new Date(d.expires_at),
    })),
    providerRecords: provider.map((p) => ({ type: p.type, count: Number(p.count) })),
    messages: messages.map((m) => ({
      at: new Date(m.created_at),
      channel: m.channel,
      recipient: m.recipient,
      subject: m.subject,
      body: m.body,
    })),
  };
}
