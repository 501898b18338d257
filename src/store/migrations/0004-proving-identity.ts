// Proving identity: the evidence behind every proofing decision, and the
// suspension of a level when the national record (PDS) no longer supports it.
//
// One account per NHS number is already enforced by the unique
// accounts.nhs_number_hash (0001). A suspended level is held beside the
// account while proofing_level itself drops to P0, so that everything reading
// the level (the vectors-of-trust check, claims, access tokens, the Users API)
// sees P0 without knowing about suspension; proving again restores it.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('accounts')
    // When a re-check at sign-in found the record no longer supports the level.
    .addColumn('proofing_suspended_at', 'timestamptz')
    // superseded | deceased | not-found | details-changed (never shown to the person).
    .addColumn('proofing_suspended_reason', 'text')
    // The level held before the suspension: what proving again against the same record gives back.
    .addColumn('proofing_suspended_level', 'text')
    .execute();
  await sql`
    alter table accounts add constraint accounts_proofing_suspension check (
      (proofing_suspended_at is null and proofing_suspended_reason is null and proofing_suspended_level is null)
      or (
        proofing_suspended_at is not null
        and proofing_level = 'P0'
        and proofing_suspended_level in ('P5', 'P9')
        and proofing_suspended_reason in ('superseded', 'deceased', 'not-found', 'details-changed')
      )
    )`.execute(db);

  // One row per proofing decision, whatever the route (demographics match
  // today; photo ID, GP online services details and in person later), so that
  // a decision can be explained and audited. Evidence never holds an NHS
  // number in clear: keyed hashes only.
  await db.schema
    .createTable('proofing_attempts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('route', 'text', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('level_given', 'text', (c) => c.check(sql`level_given in ('P5', 'P9')`))
    .addColumn('evidence', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`create index proofing_attempts_account on proofing_attempts (account_id, created_at)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('proofing_attempts').ifExists().execute();
  await sql`alter table accounts drop constraint if exists accounts_proofing_suspension`.execute(db);
  await db.schema
    .alterTable('accounts')
    .dropColumn('proofing_suspended_level')
    .dropColumn('proofing_suspended_reason')
    .dropColumn('proofing_suspended_at')
    .execute();
}
