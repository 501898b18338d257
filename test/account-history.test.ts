// "Your recent activity": the person's own audit events on the account pages,
// in plain English, newest first, and never anyone else's.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_EVENTS } from '../src/audit/events.js';
import { accountHistory } from '../src/audit/history.js';
import { TEST_PASSWORD } from '../src/cli/seed.js';
import { dateTimeText } from '../src/journeys/account/routes.js';
import { type JourneyState } from '../src/journeys/state.js';
import { TestBrowser, type Page } from './support/browser.js';
import { signInThroughSupplier } from './support/flow.js';
import { startTestService, type TestService } from './support/service.js';
import { newPerson, signInToAccount } from './support/people.js';
import { demoSupplier } from './support/supplier.js';

const NEW_PASSWORD = 'teapot harbour glacier';
const WHEN = /^\d{1,2} [A-Z][a-z]+ \d{4} at (\d{1,2}(:\d{2})?(am|pm)|midday|midnight)$/;

let service: TestService;
const db = () => service.database.db;

beforeAll(async () => {
  service = await startTestService();
});
afterAll(async () => {
  await service?.close();
});

function expectRedirect(page: Page, to: string): void {
  expect(page.status, page.body.slice(0, 500)).toBe(303);
  expect(page.location).toBe(to);
}

/** A wrong password typed on the sign-in page by someone else's browser. */
async function wrongPassword(email: string): Promise<void> {
  const browser = new TestBrowser(service.app);
  await browser.get('/sign-in');
  expect((await browser.post('/sign-in', { email, password: 'not the password' })).status).toBe(400);
}

interface Row {
  when: string;
  datetime: string;
  what: string;
  ip: string;
}

/** The rows of the activity table, top to bottom. */
function activityRows(body: string): Row[] {
  const tbody = /<tbody class="nhsuk-table__body">([\s\S]*?)<\/tbody>/.exec(body)?.[1] ?? '';
  return [...tbody.matchAll(/<tr class="nhsuk-table__row">([\s\S]*?)<\/tr>/g)].map(([, row]) => {
    const cells = [...row!.matchAll(/<td class="nhsuk-table__cell">([\s\S]*?)<\/td>/g)].map(([, c]) => c!);
    const time = /<time datetime="([^"]+)">([^<]+)<\/time>/.exec(cells[0] ?? '');
    return { datetime: time?.[1] ?? '', when: time?.[2] ?? '', what: cells[1] ?? '', ip: cells[2] ?? '' };
  });
}

describe('your recent activity', () => {
  it('needs the person to sign in, and to have been active in the last 30 minutes', async () => {
    const stranger = new TestBrowser(service.app);
    expectRedirect(await stranger.get('/account/activity'), '/sign-in');

    const account = await newPerson(db(), 'history');
    const browser = new TestBrowser(service.app);
    await signInToAccount(db(), browser, account);
    expect((await browser.get('/account/activity')).status).toBe(200);
    const rows = await db()
      .selectFrom('journey_sessions')
      .select(['id', 'data'])
      .where(sql<string>`data->'account'->>'accountId'`, '=', account.id)
      .execute();
    expect(rows).toHaveLength(1);
    const data = rows[0]!.data as JourneyState;
    data.account = { accountId: account.id, lastSeen: Date.now() - 31 * 60 * 1000 };
    await db()
      .updateTable('journey_sessions')
      .set({ data: JSON.stringify(data) })
      .where('id', '=', rows[0]!.id)
      .execute();
    expectRedirect(await browser.get('/account/activity'), '/sign-in');
  });

  it('lists a failed sign-in, a sign-in and a password change, newest first, in plain English', async () => {
    const account = await newPerson(db(), 'history');
    const other = await newPerson(db(), 'history');
    const started = Date.now();

    await wrongPassword(account.email);
    const browser = new TestBrowser(service.app);
    const home = await signInToAccount(db(), browser, account);
    expect(home.body).toContain('href="/account/activity"');
    expect(home.body).toContain('See your recent activity');
    await browser.get('/account/password');
    expectRedirect(
      await browser.post('/account/password', {
        currentPassword: TEST_PASSWORD,
        password: NEW_PASSWORD,
        confirm: NEW_PASSWORD,
      }),
      '/account',
    );

    // Someone else's activity, and things about this person that are not for them to see.
    await wrongPassword(other.email);
    await wrongPassword('nobody.here@example.com');
    const otherBrowser = new TestBrowser(service.app);
    await signInToAccount(db(), otherBrowser, other);
    await service.audit.record({
      code: AUDIT_EVENTS.PHONE_CHANGED,
      accountId: other.id,
      ip: '203.0.113.99',
    });
    await service.audit.record({
      code: AUDIT_EVENTS.TOKEN_ISSUED,
      accountId: account.id,
      clientId: demoSupplier().clientId,
      ip: '198.51.100.7',
    });

    const page = await browser.get('/account/activity');
    expect(page.status).toBe(200);
    expect(page.body).toContain('Your recent activity');
    expect(page.body).toContain('nhsuk-table');
    expect(page.body).toMatch(
      /If you do not recognise something, <a href="\/account\/password">change your password now<\/a>\./,
    );
    const rows = activityRows(page.body);
    expect(rows.map((r) => r.what)).toEqual([
      'You changed your password',
      'You logged in to your NHS login account',
      'We sent a security code to your mobile phone',
      'Someone entered a wrong password for your account',
    ]);
    for (const row of rows) {
      expect(row.when).toMatch(WHEN);
      expect(row.when).toBe(dateTimeText(new Date(row.datetime)));
      expect(new Date(row.datetime).getTime()).toBeGreaterThanOrEqual(started - 1000);
      expect(row.ip).toBe('127.0.0.1');
    }
    expect(page.body).not.toContain('203.0.113.99');
    expect(page.body).not.toContain('198.51.100.7');
    expect(page.body).not.toContain('You changed your mobile phone number');
    expect(page.body).not.toMatch(/[A-Z]-[A-Z]+-[A-Z]+/);

    // The other person sees only their own.
    const theirs = activityRows((await otherBrowser.get('/account/activity')).body).map((r) => r.what);
    expect(theirs).toEqual([
      'You changed your mobile phone number',
      'You logged in to your NHS login account',
      'We sent a security code to your mobile phone',
      'Someone entered a wrong password for your account',
    ]);
  });

  it('names the service a person logged in to', async () => {
    const account = await newPerson(db(), 'history');
    const browser = new TestBrowser(service.app);
    await signInToAccount(db(), browser, account);
    await signInThroughSupplier(
      service,
      browser,
      demoSupplier(),
      { email: account.email, phone: account.phone_number },
      { vtr: '["P0.Cp.Cd"]' },
    );
    const rows = activityRows((await browser.get('/account/activity')).body);
    expect(rows[0]?.what).toBe('You logged in to Demo GP surgery app');
    expect(rows.map((r) => r.what)).not.toContain('T-TOKEN-ISSUED');
  });

  it('reads the most recent 20 by default, or as many as asked, newest first', async () => {
    const account = await newPerson(db(), 'history');
    for (let i = 0; i < 25; i++) {
      await service.audit.record({
        code: i % 2 ? AUDIT_EVENTS.CODE_SENT : AUDIT_EVENTS.TOKEN_ISSUED,
        accountId: account.id,
        ip: `192.0.2.${i}`,
        details: { channel: 'email' },
      });
    }
    await service.audit.record({ code: AUDIT_EVENTS.EMAIL_CHANGED, accountId: account.id, ip: '192.0.2.99' });

    const all = await accountHistory(db(), account.id);
    // Token events are left out before counting, not after.
    expect(all).toHaveLength(13);
    expect(all[0]).toMatchObject({
      code: 'A-EMAIL-CHANGED',
      description: 'You changed your email address',
      ip: '192.0.2.99',
    });
    expect(all[1]).toMatchObject({ description: 'We sent a security code by email', ip: '192.0.2.23' });
    const ids = all.map((e) => e.id);
    expect(ids).toEqual([...ids].sort((a, b) => b - a));

    const few = await accountHistory(db(), account.id, { limit: 3 });
    expect(few.map((e) => e.ip)).toEqual(['192.0.2.99', '192.0.2.23', '192.0.2.21']);

    const busy = await newPerson(db(), 'history');
    for (let i = 0; i < 22; i++) {
      await service.audit.record({ code: AUDIT_EVENTS.SIGN_IN_PASSWORD_FAILED, accountId: busy.id });
    }
    expect(await accountHistory(db(), busy.id)).toHaveLength(20);
    expect(await accountHistory(db(), 'no-such-account')).toEqual([]);
  });

  it('writes dates and times the UK way, in UK time', () => {
    expect(dateTimeText(new Date('2025-07-03T13:05:00Z'))).toBe('3 July 2025 at 2:05pm');
    expect(dateTimeText(new Date('2025-01-03T09:00:00Z'))).toBe('3 January 2025 at 9am');
    expect(dateTimeText(new Date('2025-07-03T11:00:00Z'))).toBe('3 July 2025 at midday');
    expect(dateTimeText(new Date('2025-07-03T23:00:00Z'))).toBe('4 July 2025 at midnight');
    expect(dateTimeText(new Date('2025-12-31T23:30:00Z'))).toBe('31 December 2025 at 11:30pm');
  });
});
