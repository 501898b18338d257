// Support tools and audit search: what staff can do to a patient's account
// (lock it, require a new password, schedule its erasure) and the indexes
// that let auditors search the log by supplier, event code, staff member and time.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('accounts')
    // Locked by support: no sign-in, no tokens, until unlocked.
    .addColumn('locked_at', 'timestamptz')
    // The next password sign-in must go through "reset your password" first.
    .addColumn('password_reset_required', 'boolean', (c) => c.notNull().defaultTo(false))
    // Erasure asked for: the account is erased after this moment unless the patient cancels.
    .addColumn('erase_after', 'timestamptz')
    .execute();
  await sql`create index accounts_erase_after on accounts (erase_after) where erase_after is not null`.execute(
    db,
  );
  await sql`create index accounts_phone on accounts (phone_number)`.execute(db);

  await sql`create index audit_events_client on audit_events (client_id, id) where client_id is not null`.execute(
    db,
  );
  await sql`create index audit_events_code on audit_events (code, id)`.execute(db);
  await sql`create index audit_events_at on audit_events (at)`.execute(db);
  await sql`create index audit_events_staff on audit_events ((details->>'staffId'), id) where details ? 'staffId'`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const index of [
    'audit_events_staff',
    'audit_events_at',
    'audit_events_code',
    'audit_events_client',
    'accounts_phone',
    'accounts_erase_after',
  ]) {
    await sql`drop index if exists ${sql.id(index)}`.execute(db);
  }
  await db.schema
    .alterTable('accounts')
    .dropColumn('erase_after')
    .dropColumn('password_reset_required')
    .dropColumn('locked_at')
    .execute();
}
