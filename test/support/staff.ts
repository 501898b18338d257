// Back-office staff for tests: set up through their invitation link (a
// password and an authenticator app) and signed in, in their own TestBrowser.
import { expect } from 'vitest';
import { inviteStaff } from '../../src/backoffice/staff.js';
import { OPERATOR_ODS_CODE, type StaffRole } from '../../src/backoffice/roles.js';
import { currentAuthenticatorCode } from '../../src/journeys/authenticator-app.js';
import { TestBrowser, type Page } from './browser.js';
import type { TestService } from './service.js';

export const STAFF_PASSWORD = 'staple battery horse correct';
export const SETUP_LINK = /http:\/\/localhost:3000\/backoffice\/setup\/[A-Za-z0-9_-]{43}/;

export interface SignedInStaff {
  browser: TestBrowser;
  email: string;
  /** The authenticator app's key, for fresh codes. */
  key: string;
  id: string;
}

export function expectRedirect(page: Page, to: string): void {
  expect(page.status, page.body.slice(0, 500)).toBe(303);
  expect(page.location).toBe(to);
}

let counter = 0;

export function staffHelpers(service: TestService) {
  const db = () => service.database.db;

  /** Opens a setup link, chooses the password and sets up the app; returns the app's key. */
  async function setUp(browser: TestBrowser, link: string, password = STAFF_PASSWORD): Promise<string> {
    const page = await browser.get(link);
    expect(page.status, page.body.slice(0, 300)).toBe(200);
    const key = /<code id="key">([A-Z2-7 ]+)<\/code>/.exec(page.body)?.[1]?.replace(/ /g, '');
    expect(key).toBeDefined();
    const done = await browser.post(link, {
      password,
      confirm: password,
      code: currentAuthenticatorCode(key!),
    });
    expectRedirect(done, '/backoffice/sign-in?done=setup');
    return key!;
  }

  /** A fresh code: each time step works once, so forget the last one used (as if 30 seconds had passed). */
  async function freshCode(email: string, key: string): Promise<string> {
    await db()
      .updateTable('staff_members')
      .set({ totp_last_step: null })
      .where('email', '=', email)
      .execute();
    return currentAuthenticatorCode(key);
  }

  async function signIn(browser: TestBrowser, email: string, key: string, password = STAFF_PASSWORD) {
    await browser.get('/backoffice/sign-in');
    const code = await freshCode(email, key);
    expectRedirect(await browser.post('/backoffice/sign-in', { email, password, code }), '/backoffice');
  }

  /**
   * A signed-in member of staff with this role (invited directly, set up
   * through the link). Support staff default to the operator's organisation
   * (X26), who may open every patient; others to a GP practice, A81001.
   */
  async function staffMember(
    role: StaffRole,
    odsCode = role === 'support' ? OPERATOR_ODS_CODE : 'A81001',
  ): Promise<SignedInStaff> {
    counter += 1;
    const email = `${role}.${counter}.${Date.now()}@staff.example.com`;
    const invited = await inviteStaff(db(), {
      email,
      name: `Staff ${counter}`,
      odsCode,
      role,
      invitedBy: null,
    });
    if (!invited.ok) throw new Error('invite failed');
    const browser = new TestBrowser(service.app);
    const key = await setUp(browser, `http://localhost:3000/backoffice/setup/${invited.token}`);
    await signIn(browser, email, key);
    return { browser, email, key, id: invited.staff.id };
  }

  return { setUp, freshCode, signIn, staffMember };
}
