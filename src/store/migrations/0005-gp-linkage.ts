// Proving identity with GP online services details (P9 route 2): the details
// a successful proof stores, to release as the gp_integration_credentials
// claim, and the rule that each set of details proves one account only.
//
// gp_user_id is the Account ID at the GP system; gp_linkage_key is the
// Linkage Key, sealed (a secret: it opens the person's GP record); the ODS
// code is accounts.gp_ods_code (0001). gp_linkage_fingerprint is a keyed hash
// of the three details (gp-system/details.ts linkageFingerprint, then the
// sealer's lookup hash): unique, so one set of details binds one account,
// and a race between two accounts is settled by the index.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('accounts')
    .addColumn('gp_user_id', 'text')
    .addColumn('gp_linkage_key', 'text')
    .addColumn('gp_linkage_fingerprint', 'text')
    .execute();
  await sql`create unique index accounts_gp_linkage_fingerprint on accounts (gp_linkage_fingerprint)`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index if exists accounts_gp_linkage_fingerprint`.execute(db);
  await db.schema
    .alterTable('accounts')
    .dropColumn('gp_linkage_fingerprint')
    .dropColumn('gp_linkage_key')
    .dropColumn('gp_user_id')
    .execute();
}
