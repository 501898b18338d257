// P9 by photo ID and a video selfie, online. One row per check a person
// starts: the document they chose and the details read or typed from it, the
// four random digits they were shown, the evidence (photo, video, frames) as
// ids in the encrypted evidence store, the automated decision, and the ID
// checker's decision when it was referred. A person can stop and come back:
// an unfinished check ('started') is picked up where they left it.
//
// Fraud signals need two keyed hashes: the document (issuing state, kind and
// number), so one document cannot prove two accounts, and nothing else in
// clear. The document face's descriptor is sealed: comparing a new face with
// earlier ones opens them (see src/journeys/prove-identity/photo-id).
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('photo_id_checks')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('status', 'text', (c) =>
      c
        .notNull()
        .defaultTo('started')
        .check(
          sql`status in ('started', 'passed', 'failed', 'referred', 'approved', 'rejected', 'abandoned')`,
        ),
    )
    // passport | driving-licence | national-identity-card | residence-permit
    .addColumn('document_kind', 'text')
    // The document's identity and details (number sealed, never in clear).
    .addColumn('document', 'jsonb')
    .addColumn('document_number_hash', 'text')
    .addColumn('document_photo_id', 'text')
    // The four digits the person was asked to say (or sign, or show) in the video.
    .addColumn('digits', 'text', (c) => c.notNull().check(sql`digits ~ '^[0-9]{4}$'`))
    .addColumn('video_id', 'text')
    .addColumn('frame_ids', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    // Sealed Float32 descriptor of the document portrait's face (base64 before sealing).
    .addColumn('face_descriptor', 'text')
    // The automated checks and decision (src/domain/photo-id.ts PhotoIdDecision).
    .addColumn('decision', 'jsonb')
    // The person asked for a person to check, whatever the automation said.
    .addColumn('asked_for_review', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('proofing_attempt_id', 'text', (c) =>
      c.references('proofing_attempts.id').onDelete('set null'),
    )
    .addColumn('submitted_at', 'timestamptz')
    .addColumn('decided_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`create index photo_id_checks_account on photo_id_checks (account_id, created_at)`.execute(db);
  await sql`create index photo_id_checks_document on photo_id_checks (document_number_hash)`.execute(db);

  // The queue learns photo ID referrals and two more fraud signals.
  await db.schema
    .alterTable('id_checks')
    .addColumn('photo_id_check_id', 'text', (c) => c.references('photo_id_checks.id').onDelete('set null'))
    .execute();
  await sql`alter table id_checks drop constraint if exists id_checks_signal_check`.execute(db);
  await sql`
    alter table id_checks add constraint id_checks_signal_check check (
      signal in ('deceased-match', 'gp-linkage-in-use', 'nhs-number-in-use', 'too-many-attempts',
                 'document-in-use', 'face-in-use')
    )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table id_checks drop constraint if exists id_checks_signal_check`.execute(db);
  await sql`
    alter table id_checks add constraint id_checks_signal_check check (
      signal in ('deceased-match', 'gp-linkage-in-use', 'nhs-number-in-use', 'too-many-attempts')
    )`.execute(db);
  await db.schema.alterTable('id_checks').dropColumn('photo_id_check_id').execute();
  await db.schema.dropTable('photo_id_checks').ifExists().execute();
}
