// Delegated access (issue 5): who may act for whom, with which permissions,
// until when, and everything that happened to each delegation.
//
// A delegation's current state is a row in `delegations`; every change of
// state (and every time the delegate acted through a supplier) is a row in
// `delegation_events`, so the grantor, support and auditors can read its whole
// history. The rules for moving between states live in src/domain/delegation.ts.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('delegations')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('grantor_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    // Null while an invitation waits for someone to accept it.
    .addColumn('delegate_id', 'text', (c) => c.references('accounts.id').onDelete('cascade'))
    .addColumn('origin', 'text', (c) => c.notNull().check(sql`origin in ('person', 'practice')`))
    .addColumn('status', 'text', (c) =>
      c.notNull().check(sql`status in ('invited', 'accepted', 'active', 'suspended', 'revoked', 'expired')`),
    )
    // How the grantor describes the delegate: parent, carer, partner, friend...
    .addColumn('relationship', 'text', (c) => c.notNull())
    .addColumn('permissions', 'jsonb', (c) => c.notNull())
    // Who the invitation is for: the invitee's proven identity must match at acceptance.
    .addColumn('invitee_email', 'text')
    .addColumn('invitee_family_name', 'text')
    .addColumn('invitee_given_name', 'text')
    .addColumn('invitee_birth_date', 'text')
    .addColumn('invitation_token_hash', 'text', (c) => c.unique())
    .addColumn('invitation_expires_at', 'timestamptz')
    // YYYY-MM-DD, inclusive; optional.
    .addColumn('ends_on', 'text')
    // A practice's delegation: why, until when, and whether it is for a child under 16.
    .addColumn('reason', 'text')
    .addColumn('review_on', 'text')
    .addColumn('for_child', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('ods_code', 'text')
    // Who approved it: the grantor's account id, or a staff member's id.
    .addColumn('approved_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`
    alter table delegations add constraint delegations_shape check (
      (status = 'invited' and delegate_id is null and invitee_email is not null)
      or (status <> 'invited' and delegate_id is not null)
      or (status in ('revoked', 'expired'))
    )`.execute(db);
  await sql`alter table delegations add constraint delegations_not_self check (grantor_id <> delegate_id)`.execute(
    db,
  );
  await sql`
    alter table delegations add constraint delegations_practice check (
      origin = 'person' or (reason is not null and review_on is not null and ods_code is not null)
    )`.execute(db);
  // One live delegation between the same two people.
  await sql`
    create unique index delegations_live_pair on delegations (grantor_id, delegate_id)
    where status in ('accepted', 'active', 'suspended')`.execute(db);
  await sql`create index delegations_grantor on delegations (grantor_id, created_at)`.execute(db);
  await sql`create index delegations_delegate on delegations (delegate_id, status)`.execute(db);

  await db.schema
    .createTable('delegation_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('delegation_id', 'text', (c) => c.notNull().references('delegations.id').onDelete('cascade'))
    // A DelegationEvent type, or 'created', 'changed', 'acted'.
    .addColumn('event', 'text', (c) => c.notNull())
    .addColumn('from_status', 'text')
    .addColumn('to_status', 'text')
    .addColumn('actor_kind', 'text', (c) =>
      c.notNull().check(sql`actor_kind in ('grantor', 'delegate', 'staff', 'system', 'supplier')`),
    )
    .addColumn('actor_id', 'text')
    // For 'acted': the supplier the delegate acted through.
    .addColumn('client_id', 'text')
    .addColumn('details', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`create index delegation_events_delegation on delegation_events (delegation_id, created_at)`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('delegation_events').ifExists().execute();
  await db.schema.dropTable('delegations').ifExists().execute();
}
