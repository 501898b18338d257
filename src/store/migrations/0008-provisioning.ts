// P9 in person: practice staff (back office) or an authorised organisation
// (the Provision Account API) checked a person's photo ID face to face and
// provision an account for them. Two outcomes: 'uplift' raises the person's
// existing account (bound to the same NHS number) to P9 at once; 'create'
// waits for the person to claim it (emailed link, phone code, demographics
// re-check, new password), which creates the account at P9.
//
// The NHS number is sealed with a keyed hash beside it, as on accounts. The
// claim token is stored only as a hash.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('provisioning_requests')
    .addColumn('id', 'text', (c) => c.primaryKey())
    // The organisation that checked the person: a GP practice's ODS code.
    .addColumn('ods_code', 'text', (c) => c.notNull())
    // Exactly one of: the staff member (back office page) or the client (API).
    .addColumn('requested_by_staff', 'text')
    .addColumn('requested_by_client', 'text')
    .addColumn('outcome', 'text', (c) => c.notNull().check(sql`outcome in ('create', 'uplift')`))
    .addColumn('status', 'text', (c) =>
      c.notNull().check(sql`status in ('pending', 'claimed', 'applied', 'expired', 'cancelled')`),
    )
    .addColumn('nhs_number', 'text', (c) => c.notNull())
    .addColumn('nhs_number_hash', 'text', (c) => c.notNull())
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('phone_number', 'text', (c) => c.notNull())
    .addColumn('birth_date', 'text', (c) => c.notNull())
    // The uplifted account, or the account the claim created.
    .addColumn('account_id', 'text', (c) => c.references('accounts.id').onDelete('set null'))
    .addColumn('claim_token_hash', 'text', (c) => c.unique())
    .addColumn('claim_expires_at', 'timestamptz')
    // What was checked face to face: { document: kind, lastFour, checkedBy }, and the GPG45 decision.
    .addColumn('evidence', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('claimed_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`
    alter table provisioning_requests add constraint provisioning_requests_requester check (
      (requested_by_staff is null) <> (requested_by_client is null)
    )`.execute(db);
  await sql`create index provisioning_requests_nhs_number on provisioning_requests (nhs_number_hash, created_at)`.execute(
    db,
  );
  await sql`create index provisioning_requests_ods on provisioning_requests (ods_code, created_at)`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('provisioning_requests').ifExists().execute();
}
