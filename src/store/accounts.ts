// Patient accounts: the one place that reads and writes the accounts table.
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from './db.js';
import type { Account, AccountUpdate, NewAccount } from './schema.js';

export type { Account };

export async function findAccountById(db: Db, id: string): Promise<Account | undefined> {
  return db.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function findAccountByEmail(db: Db, email: string): Promise<Account | undefined> {
  // Sign-in passes the typed address as it came; stored addresses never hold a
  // NUL (Postgres text cannot), and querying with one fails with a 500.
  if (email.includes('\u0000')) return undefined;
  return db
    .selectFrom('accounts')
    .selectAll()
    .where(sql<string>`lower(email)`, '=', email.toLowerCase())
    .executeTakeFirst();
}

/**
 * The Users API search: accounts whose NHS number (by its lookup hash; P5 and
 * P9 only, where the number has been matched) or email is one of those given.
 * `testPeopleOnly` limits a sandpit supplier to the seeded test people.
 */
export async function findAccountsByNhsNumberOrEmail(
  db: Db,
  search: { nhsNumberHashes: string[]; emails: string[]; testPeopleOnly: boolean },
): Promise<Account[]> {
  const emails = search.emails.map((e) => e.toLowerCase());
  if (!search.nhsNumberHashes.length && !emails.length) return [];
  let query = db
    .selectFrom('accounts')
    .selectAll()
    .where((eb) =>
      eb.or([
        ...(search.nhsNumberHashes.length
          ? [eb.and([eb('nhs_number_hash', 'in', search.nhsNumberHashes), eb('proofing_level', '!=', 'P0')])]
          : []),
        ...(emails.length ? [eb(sql<string>`lower(email)`, 'in', emails)] : []),
      ]),
    );
  if (search.testPeopleOnly) query = query.where('test_person', '=', true);
  return query.orderBy('created_at').orderBy('id').execute();
}

export type CreateAccountInput = Omit<NewAccount, 'id' | 'created_at' | 'updated_at'>;

/**
 * Creates the account in one statement: either it exists complete, or not at all.
 * Returns undefined when the email (or NHS number) is already taken, which can
 * happen when two registrations for one mailbox race to the end.
 */
export async function createAccount(db: Db, input: CreateAccountInput): Promise<Account | undefined> {
  const row = await db
    .insertInto('accounts')
    .values({ ...input, id: randomUUID() })
    .onConflict((oc) => oc.doNothing())
    .returningAll()
    .executeTakeFirst();
  return row;
}

export async function updateAccount(db: Db, id: string, patch: AccountUpdate): Promise<boolean> {
  const r = await db
    .updateTable('accounts')
    .set({ ...patch, updated_at: new Date() })
    .where('id', '=', id)
    .executeTakeFirst();
  return r.numUpdatedRows > 0n;
}

/**
 * Deletes the account and everything hanging off it. With `eraseDueBy`,
 * only an account whose scheduled erasure (erase_after) is due by then, so
 * that a person who cancels at the last moment keeps their account.
 * Returns whether an account was deleted.
 */
export async function deleteAccount(
  db: Db,
  id: string,
  options: { eraseDueBy?: Date } = {},
): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    let query = trx.deleteFrom('accounts').where('id', '=', id);
    if (options.eraseDueBy) query = query.where('erase_after', '<=', options.eraseDueBy);
    const deleted = (await query.executeTakeFirst()).numDeletedRows > 0n;
    if (options.eraseDueBy && !deleted) return false;
    // The provider's grants and sessions for this person go too: nothing of theirs may outlive the account.
    await trx
      .deleteFrom('oidc_payloads')
      .where(sql<string>`payload->>'accountId'`, '=', id)
      .execute();
    return deleted;
  });
}

export async function recordServiceUsed(db: Db, accountId: string, clientId: string): Promise<void> {
  await db
    .insertInto('services_used')
    .values({ account_id: accountId, client_id: clientId })
    .onConflict((oc) => oc.columns(['account_id', 'client_id']).doUpdateSet({ last_used_at: new Date() }))
    .execute();
}

export async function listServicesUsed(
  db: Db,
  accountId: string,
): Promise<{ clientId: string; name: string; firstUsedAt: Date; lastUsedAt: Date }[]> {
  const rows = await db
    .selectFrom('services_used')
    .leftJoin('suppliers', 'suppliers.client_id', 'services_used.client_id')
    .select(['services_used.client_id', 'suppliers.name', 'first_used_at', 'last_used_at'])
    .where('account_id', '=', accountId)
    .orderBy('last_used_at', 'desc')
    .execute();
  return rows.map((r) => ({
    clientId: r.client_id,
    name: r.name ?? r.client_id,
    firstUsedAt: new Date(r.first_used_at),
    lastUsedAt: new Date(r.last_used_at),
  }));
}
