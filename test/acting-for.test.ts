// "Whose care are you managing today?": the chooser a delegate sees while
// signing in at a supplier that asked for `delegations`, and the `acting_for`
// claim that carries their answer back to the supplier.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_EVENTS } from '../src/audit/events.js';
import { ACCESS_TOKEN_TYPE, TOKEN_EXCHANGE_GRANT } from '../src/oidc/token-exchange.js';
import type { Account } from '../src/store/accounts.js';
import { changeStatus } from '../src/store/delegations.js';
import { TestBrowser } from './support/browser.js';
import { activeDelegation, p9Person } from './support/delegations.js';
import { callbackFrom, signInAtSupplier, signInThroughSupplier } from './support/flow.js';
import { startTestService, type TestService } from './support/service.js';
import { clientAssertion, demoSupplier } from './support/supplier.js';
import { ASSERTION_TYPE, decodeJwt, exchangeCode, TOKEN_URL, tokenRequest } from './support/token.js';

let service: TestService;
const demo = demoSupplier();
const SCOPE = 'openid profile delegations';
const P9 = '["P9.Cp.Cd"]';

beforeAll(async () => {
  service = await startTestService();
});
afterAll(async () => {
  await service?.close();
});

const login = (person: Account) => ({ email: person.email, phone: person.phone_number });

/** Signs in at the demo supplier and stops wherever the person is after their credentials. */
async function upToChooser(person: Account, browser = new TestBrowser(service.app), scope = SCOPE) {
  const signedIn = await signInAtSupplier(service, browser, demo, login(person), { vtr: P9, scope });
  return { browser, ...signedIn };
}

/** The code's tokens: the ID token's payload and the access token. */
async function tokensFor(code: string | null) {
  const tokens = await exchangeCode(service.app, demo, code!);
  expect(tokens.status, JSON.stringify(tokens.body)).toBe(200);
  return {
    idToken: decodeJwt(tokens.body.id_token as string).payload,
    accessToken: tokens.body.access_token as string,
    refreshToken: tokens.body.refresh_token as string | undefined,
  };
}

async function userinfo(token: string) {
  const res = await service.app.inject({ url: '/userinfo', headers: { authorization: `Bearer ${token}` } });
  expect(res.statusCode).toBe(200);
  return res.json<Record<string, unknown>>();
}

/** The visible text of a page, for asserting what a person reads. */
const words = (html: string) =>
  html
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();

describe('whose care are you managing today?', () => {
  it('offers the delegate their own care and each person they may act for, and names the choice in the ID token and userinfo', async () => {
    const grantor = await p9Person(service, 'grantor');
    const other = await p9Person(service, 'other');
    const carer = await p9Person(service, 'carer');
    await activeDelegation(service, grantor, carer);
    await activeDelegation(service, other, carer);

    const { browser, page, state, nonce } = await upToChooser(carer);
    expect(page.url).toBe('/sign-in/acting-for');
    const text = words(page.body);
    expect(text).toContain('Whose care are you managing today?');
    expect(text).toContain(`My own care Pat ${carer.family_name}`);
    expect(text).toContain(`Pat ${grantor.family_name} Born 4 March 1950`);
    expect(text).toContain(`Pat ${other.family_name}`);

    const posted = await browser.post('/sign-in/acting-for', { acting_for: grantor.id });
    const callback = callbackFrom(await browser.follow(posted.location!), demo, { state, nonce });
    const { idToken, accessToken } = await tokensFor(callback.code);
    expect(idToken.sub).toBe(carer.id);
    expect(idToken.acting_for).toBe(grantor.id);
    const info = await userinfo(accessToken);
    expect(info.acting_for).toBe(grantor.id);
    expect((info.delegations as { sub: string }[]).map((d) => d.sub).sort()).toEqual(
      [grantor.id, other.id].sort(),
    );

    // The supplier passes the claim on as requested_subject, and acts for that person.
    const exchanged = await tokenRequest(service.app, {
      grant_type: TOKEN_EXCHANGE_GRANT,
      subject_token_type: ACCESS_TOKEN_TYPE,
      subject_token: accessToken,
      requested_subject: idToken.acting_for as string,
      client_assertion_type: ASSERTION_TYPE,
      client_assertion: await clientAssertion(demo, TOKEN_URL),
    });
    expect(exchanged.status, JSON.stringify(exchanged.body)).toBe(200);
    expect(decodeJwt(exchanged.body.access_token as string).payload).toMatchObject({
      sub: grantor.id,
      act: { sub: carer.id },
    });

    const audit = await service.database.db
      .selectFrom('audit_events')
      .select('details')
      .where('account_id', '=', carer.id)
      .where('code', '=', AUDIT_EVENTS.SIGN_IN_COMPLETE)
      .execute();
    expect(audit.map((a) => (a.details as { actingFor?: string }).actingFor)).toContain(grantor.id);
  });

  it('asks again, keeping the choices, when nothing or someone else is chosen', async () => {
    const grantor = await p9Person(service, 'grantor');
    const stranger = await p9Person(service, 'stranger');
    const carer = await p9Person(service, 'carer');
    await activeDelegation(service, grantor, carer);
    const { browser, page } = await upToChooser(carer);
    expect(page.url).toBe('/sign-in/acting-for');

    const answers: Record<string, string>[] = [{}, { acting_for: stranger.id }, { acting_for: '' }];
    for (const answer of answers) {
      const again = await browser.post('/sign-in/acting-for', answer);
      expect(again.status).toBe(400);
      expect(again.body).toContain('nhsuk-error-summary');
      expect(words(again.body)).toContain('Select whose care you are managing today');
      expect(again.body).toContain(`value="${grantor.id}"`);
      expect(again.body).not.toContain(stranger.id);
    }
  });

  it('says nothing of anyone else when the delegate chooses their own care, even after choosing someone earlier', async () => {
    const grantor = await p9Person(service, 'grantor');
    const carer = await p9Person(service, 'carer');
    await activeDelegation(service, grantor, carer);
    const browser = new TestBrowser(service.app);
    const first = await signInThroughSupplier(
      service,
      browser,
      demo,
      login(carer),
      { vtr: P9, scope: SCOPE },
      { actingFor: grantor.id },
    );
    expect((await tokensFor(first.code)).idToken.acting_for).toBe(grantor.id);

    // The same browser, still signed in: the supplier asks the person to log in again.
    const second = await signInThroughSupplier(
      service,
      browser,
      demo,
      login(carer),
      { vtr: P9, scope: SCOPE, prompt: 'login' },
      { actingFor: 'self' },
    );
    const { idToken, accessToken } = await tokensFor(second.code);
    expect(idToken).not.toHaveProperty('acting_for');
    expect(await userinfo(accessToken)).not.toHaveProperty('acting_for');
  });

  it('is not asked when the supplier did not ask for delegations, or the person acts for nobody', async () => {
    const grantor = await p9Person(service, 'grantor');
    const carer = await p9Person(service, 'carer');
    await activeDelegation(service, grantor, carer);
    const withoutScope = await upToChooser(carer, new TestBrowser(service.app), 'openid profile');
    expect(withoutScope.page.url.startsWith(demo.redirectUri)).toBe(true);

    const loner = await p9Person(service, 'loner');
    const alone = await upToChooser(loner);
    expect(alone.page.url.startsWith(demo.redirectUri)).toBe(true);
    const { idToken } = await tokensFor(new URL(alone.page.url).searchParams.get('code'));
    expect(idToken).not.toHaveProperty('acting_for');
  });

  it("keeps the choice for the grant's refreshed tokens, and stops naming the person once the delegation is revoked", async () => {
    const grantor = await p9Person(service, 'grantor');
    const carer = await p9Person(service, 'carer');
    const id = await activeDelegation(service, grantor, carer);
    const callback = await signInThroughSupplier(
      service,
      new TestBrowser(service.app),
      demo,
      login(carer),
      { vtr: P9, scope: SCOPE },
      { actingFor: grantor.id },
    );
    const { accessToken, refreshToken } = await tokensFor(callback.code);
    const refreshed = await tokenRequest(service.app, {
      grant_type: 'refresh_token',
      refresh_token: refreshToken!,
      client_assertion_type: ASSERTION_TYPE,
      client_assertion: await clientAssertion(demo, TOKEN_URL),
    });
    expect(refreshed.status, JSON.stringify(refreshed.body)).toBe(200);
    const refreshedAccess = refreshed.body.access_token as string;
    expect((await userinfo(refreshedAccess)).acting_for).toBe(grantor.id);

    await changeStatus(
      service.database.db,
      id,
      { type: 'revoke', by: 'grantor' },
      { kind: 'grantor', id: grantor.id },
    );
    expect(await userinfo(accessToken)).not.toHaveProperty('acting_for');
    expect(await userinfo(refreshedAccess)).not.toHaveProperty('acting_for');
  });

  it('is only reached by someone who has finished signing in', async () => {
    const browser = new TestBrowser(service.app);
    const page = await browser.get('/sign-in/acting-for');
    expect(page.status).toBe(400);
    expect(words(page.body)).toContain('Your session has ended');
    expect(page.body).not.toContain('Whose care are you managing today?');
  });
});
