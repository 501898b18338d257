// Test people made on the spot, one per test, so limits, devices and
// changes never leak between tests; and signing one in to the account pages.
import { expect } from 'vitest';
import { latestCode } from '../../src/adapters/notify/outbox.js';
import { TEST_PASSWORD } from '../../src/cli/seed.js';
import { hashPassword } from '../../src/journeys/passwords.js';
import { createAccount, type Account } from '../../src/store/accounts.js';
import type { Db } from '../../src/store/db.js';
import type { Page, TestBrowser } from './browser.js';

let made = 0;

/** A P0 account with the test password and a verified mobile from Ofcom's drama range. */
export async function newPerson(db: Db, tag = 'person'): Promise<Account> {
  made += 1;
  const account = await createAccount(db, {
    email: `${tag}.${made}@example.com`,
    password_hash: await hashPassword(TEST_PASSWORD),
    phone_number: `+447700${String(900100 + made)}`,
    phone_number_verified: true,
  });
  if (!account) throw new Error('could not make a test person');
  return account;
}

/** Signs in to the account pages: password, then the text code. Ends on /account. */
export async function signInToAccount(
  db: Db,
  browser: TestBrowser,
  account: { email: string; phone_number: string },
  password = TEST_PASSWORD,
): Promise<Page> {
  await browser.get('/sign-in');
  const afterPassword = await browser.post('/sign-in', { email: account.email, password });
  expect(afterPassword.location, afterPassword.body.slice(0, 300)).toBe('/sign-in/text-code');
  await browser.get('/sign-in/text-code');
  const code = await latestCode(db, account.phone_number);
  const afterCode = await browser.post('/sign-in/text-code', { code: code! });
  expect(afterCode.location).toBe('/account');
  const page = await browser.get('/account');
  expect(page.status).toBe(200);
  return page;
}
