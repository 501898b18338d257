// A supplier's user signing in over real HTTP through the proxy, and the
// supplier's side: the token request (private_key_jwt) and the ID token
// verified against the JWKS, as a relying party would do it.
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import { latestCode } from '../../src/adapters/notify/outbox.js';
import { TEST_PASSWORD } from '../../src/cli/seed.js';
import type { HttpBrowser, HttpPage, Instances } from '../support/instances.js';
import { authorizeUrl, clientAssertion, type TestSupplier } from '../support/supplier.js';
import { ASSERTION_TYPE } from '../support/token.js';

export const P0 = { email: 'p0.patient@example.com', phone: '+447700900000' };
export const P5 = { email: 'p5.patient@example.com', phone: '+447700900005' };
export const P9 = { email: 'p9.patient@example.com', phone: '+447700900009' };

function pageText(page: HttpPage): string {
  return page.body
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .slice(0, 600);
}

/** Expects a redirect and follows it; throws with the page text otherwise. */
export async function through(browser: HttpBrowser, posted: HttpPage, what: string): Promise<HttpPage> {
  if (!posted.location) throw new Error(`${what}: ${posted.status} ${pageText(posted)}`);
  return browser.follow(new URL(posted.location, posted.url).href);
}

export function callbackCode(page: HttpPage, supplier: TestSupplier): string {
  if (!page.url.startsWith(supplier.redirectUri))
    throw new Error(`did not return to the supplier: ${page.url} ${page.status} ${pageText(page)}`);
  const code = new URL(page.url).searchParams.get('code');
  if (!code) throw new Error(`no code: ${page.url}`);
  return code;
}

/** authorize → email and password → text code (from the outbox) → the supplier's callback code. */
export async function signIn(
  instances: Instances,
  browser: HttpBrowser,
  supplier: TestSupplier,
  person: { email: string; phone: string; password?: string },
  params: Record<string, string> = { vtr: '["P0.Cp.Cd"]', scope: 'openid' },
): Promise<{ code: string; nonce: string }> {
  const { url, nonce } = authorizeUrl(supplier, params);
  let page = await browser.follow(url);
  if (!page.url.endsWith('/sign-in')) throw new Error(`expected the sign-in page: ${page.url}`);
  page = await through(
    browser,
    await browser.post(page.url, { email: person.email, password: person.password ?? TEST_PASSWORD }),
    'password',
  );
  if (!page.url.endsWith('/sign-in/text-code')) throw new Error(`expected the code page: ${page.url}`);
  const code = await latestCode(instances.database.db, person.phone);
  page = await through(browser, await browser.post(page.url, { code: code ?? '' }), 'text code');
  return { code: callbackCode(page, supplier), nonce };
}

/** The token request a supplier makes, over HTTP through the proxy. */
export async function token(
  instances: Instances,
  supplier: TestSupplier,
  code: string,
): Promise<{ status: number; body: Record<string, unknown>; servedBy: number | undefined }> {
  const res = await fetch(`${instances.url}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: supplier.redirectUri,
      client_assertion_type: ASSERTION_TYPE,
      client_assertion: await clientAssertion(supplier, `${instances.url}/token`),
    }).toString(),
  });
  const served = res.headers.get('x-served-by');
  return {
    status: res.status,
    body: (await res.json()) as Record<string, unknown>,
    servedBy: served ? Number(served) : undefined,
  };
}

/**
 * A relying party's key set: the issuer's JWKS, fetched again whenever a
 * token names a kid it has not seen (the contract signing-key rotation relies
 * on), with no cool-down between fetches.
 */
export function relyingPartyKeys(instances: Instances) {
  return createRemoteJWKSet(new URL(`${instances.url}/.well-known/jwks.json`), { cooldownDuration: 0 });
}

export async function verifyIdToken(
  instances: Instances,
  keys: ReturnType<typeof createRemoteJWKSet>,
  supplier: TestSupplier,
  idToken: string,
  nonce: string,
): Promise<JWTPayload & { kid: string }> {
  const { payload, protectedHeader } = await jwtVerify(idToken, keys, {
    issuer: instances.url,
    audience: supplier.clientId,
    algorithms: ['RS512'],
  });
  if (payload.nonce !== nonce) throw new Error('nonce does not match');
  return { ...payload, kid: protectedHeader.kid! };
}
