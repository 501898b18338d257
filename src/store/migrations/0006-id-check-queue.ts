// The ID checker queue: items a person must review, in the back office
// (backoffice/id-checks). Today only fraud signals raised while proving
// identity (a deceased match, GP details or an NHS number already used by
// another account, the proving limit hit); photo ID referrals join later as
// kind 'photo-id'. The summary holds what the checker needs (the GPG45
// decision and scores, the other account's id): never an NHS number or a
// Linkage Key, in clear or hashed.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('id_checks')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('proofing_attempt_id', 'text', (c) =>
      c.references('proofing_attempts.id').onDelete('set null'),
    )
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('fraud-signal', 'photo-id')`))
    .addColumn('signal', 'text', (c) =>
      c.check(
        sql`signal in ('deceased-match', 'gp-linkage-in-use', 'nhs-number-in-use', 'too-many-attempts')`,
      ),
    )
    .addColumn('summary', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('status', 'text', (c) =>
      c
        .notNull()
        .defaultTo('open')
        .check(sql`status in ('open', 'approved', 'rejected', 'dismissed')`),
    )
    // A staff id; kept as text (no foreign key) so the decision outlives the staff record.
    .addColumn('decided_by', 'text')
    .addColumn('decided_at', 'timestamptz')
    .addColumn('decision_reason', 'text')
    .addColumn('note', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`
    alter table id_checks add constraint id_checks_decided check (
      (status = 'open' and decided_at is null and decided_by is null and decision_reason is null)
      or (status <> 'open' and decided_at is not null and decided_by is not null and decision_reason is not null)
    )`.execute(db);
  await sql`create index id_checks_status on id_checks (status, created_at)`.execute(db);
  await sql`create index id_checks_account on id_checks (account_id, created_at)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('id_checks').ifExists().execute();
}
