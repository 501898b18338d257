// A delegation's history is read in the order things happened. created_at
// alone cannot give it: embedded Postgres's clock moves in milliseconds (an
// invitation made and accepted within one shared a timestamp, and the history
// showed "accepted" before "created"), and now() is the same for every event
// of one transaction. Ids are random. So each event gets a number as it is
// written, and the history orders by created_at, then that number.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table delegation_events add column seq bigint generated always as identity`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table delegation_events drop column seq`.execute(db);
}
