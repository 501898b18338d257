// Appending to the audit log in one round trip (issue 6). The chain rule is
// unchanged (see src/audit/log.ts): one writer at a time under the same
// advisory lock, each entry hashing the one before. Doing the lock, the read
// of the last hash and the insert inside one function turns five round trips
// per event (begin, lock, read, insert, commit) into one. Each statement of a
// volatile PL/pgSQL function sees a fresh snapshot, so the read after the
// lock sees the entry its predecessor committed; instances still running the
// old code take the same lock and read the same way, so a rolling upgrade
// keeps one unbroken chain.
//
// The hash is SHA-256 over the canonical JSON [prev_hash, at, code, ...]; the
// caller passes everything after prev_hash (`tail`, from its `,` on) because
// only the database knows prev_hash at the moment of writing.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create function audit_append(
      p_at timestamptz, p_code text, p_account_id text, p_client_id text, p_ip text,
      p_details jsonb, p_tail text
    ) returns void language plpgsql volatile as $$
    declare
      prev text;
    begin
      perform pg_advisory_xact_lock(7340001);
      select hash into prev from audit_events order by id desc limit 1;
      prev := coalesce(prev, repeat('0', 64));
      insert into audit_events (at, code, account_id, client_id, ip, details, prev_hash, hash)
      values (p_at, p_code, p_account_id, p_client_id, p_ip, p_details, prev,
              encode(sha256(convert_to('["' || prev || '"' || p_tail, 'UTF8')), 'hex'));
    end
    $$`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop function audit_append(timestamptz, text, text, text, text, jsonb, text)`.execute(db);
}
