// What the benchmark does, one operation at a time, as a person's browser and
// a supplier's back end would do it over HTTP: a complete sign-in, a refresh
// grant, and the supplier's GETs (discovery, JWKS, userinfo).
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { latestCode } from '../src/adapters/notify/outbox.js';
import { TEST_PASSWORD } from '../src/cli/seed.js';
import { hashPassword } from '../src/journeys/passwords.js';
import { createAccount } from '../src/store/accounts.js';
import type { Db } from '../src/store/db.js';
import { authorizeUrl, clientAssertion, pkce, type TestSupplier } from '../test/support/supplier.js';
import { BrowserClient, request } from './http-client.js';

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

export interface Metadata {
  issuer: string;
  token_endpoint: string;
  jwks_uri: string;
  userinfo_endpoint: string;
}

export interface BenchContext {
  origin: string;
  db: Db;
  supplier: TestSupplier;
  metadata: Metadata;
  jwks: ReturnType<typeof createRemoteJWKSet>;
  /** Latency of every /token request, milliseconds (cleared between runs). */
  tokenLatencies: number[];
  /** Time spent in each step of a sign-in, milliseconds, summed over sign-ins. */
  steps: Map<string, number>;
}

export interface Person {
  email: string;
  phone: string;
}

/** One worker's tokens: the latest refresh token (rotated on every use) and access token. */
export interface Tokens {
  refreshToken: string;
  accessToken: string;
}

export async function createContext(origin: string, db: Db, supplier: TestSupplier): Promise<BenchContext> {
  const res = await request(`${origin}/.well-known/openid-configuration`);
  if (res.status !== 200) throw new Error(`discovery failed: ${res.status}`);
  const metadata = JSON.parse(res.body) as Metadata;
  return {
    origin,
    db,
    supplier,
    metadata,
    jwks: createRemoteJWKSet(new URL(metadata.jwks_uri)),
    tokenLatencies: [],
    steps: new Map(),
  };
}

/** Accounts of our own (P0, verified mobile), one per worker, so per-person limits never meet. */
export async function createPeople(db: Db, count: number): Promise<Person[]> {
  const passwordHash = await hashPassword(TEST_PASSWORD);
  const people: Person[] = [];
  for (let i = 0; i < count; i++) {
    const person = {
      email: `bench.${i}@example.com`,
      phone: `+4477009${String(10000 + i).padStart(5, '0')}`,
    };
    const made = await createAccount(db, {
      email: person.email,
      password_hash: passwordHash,
      phone_number: person.phone,
      phone_number_verified: true,
    });
    if (!made) throw new Error(`could not create ${person.email}`);
    people.push(person);
  }
  return people;
}

async function timed<T>(ctx: BenchContext, step: string, work: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  try {
    return await work();
  } finally {
    ctx.steps.set(step, (ctx.steps.get(step) ?? 0) + performance.now() - t0);
  }
}

interface TokenResponse {
  access_token?: string;
  refresh_token?: string;
  id_token?: string;
}

/** POST /token with private_key_jwt (RS512, audience = the token URL). */
async function token(ctx: BenchContext, params: Record<string, string>): Promise<TokenResponse> {
  const assertion = await clientAssertion(ctx.supplier, ctx.metadata.token_endpoint);
  const res = await request(ctx.metadata.token_endpoint, {
    form: { ...params, client_assertion_type: ASSERTION_TYPE, client_assertion: assertion },
  });
  ctx.tokenLatencies.push(res.ms);
  if (res.status !== 200)
    throw new Error(`token ${params.grant_type}: ${res.status} ${res.body.slice(0, 200)}`);
  return JSON.parse(res.body) as TokenResponse;
}

/**
 * authorize → /sign-in (password) → text code from the outbox → back to the
 * supplier with a code → /token (PKCE) → ID token verified against the JWKS.
 * A fresh browser each time, so each is a new provider session.
 */
export async function signIn(ctx: BenchContext, person: Person): Promise<Tokens> {
  const browser = new BrowserClient(ctx.origin);
  const { verifier, challenge } = pkce();
  const { url, state, nonce } = authorizeUrl(ctx.supplier, {
    vtr: '["P0.Cp.Cd"]',
    code_challenge: challenge,
    code_challenge_method: 'S256',
  });

  const start = await timed(ctx, '1 authorize → /sign-in page', () => browser.follow(url));
  if (!start.url.endsWith('/sign-in')) throw new Error(`authorize went to ${start.url} (${start.status})`);

  const password = await timed(ctx, '2 POST /sign-in (argon2id)', () =>
    browser.post('/sign-in', { email: person.email, password: TEST_PASSWORD }),
  );
  if (password.location !== '/sign-in/text-code') {
    throw new Error(`password: ${password.status} ${password.body.slice(0, 200)}`);
  }
  await timed(ctx, '3 text-code page', () => browser.get(password.location!));
  const code = await timed(ctx, '4 code from the outbox', () => latestCode(ctx.db, person.phone));
  if (!code) throw new Error('no text code in the outbox');

  const callback = await timed(ctx, '5 POST code → callback', async () => {
    const posted = await browser.post('/sign-in/text-code', { code });
    if (!posted.location) throw new Error(`code: ${posted.status} ${posted.body.slice(0, 200)}`);
    return browser.follow(posted.location);
  });
  const back = new URL(callback.url);
  if (!callback.url.startsWith(ctx.supplier.redirectUri) || back.searchParams.get('state') !== state) {
    throw new Error(`did not return to the supplier: ${callback.url}`);
  }
  const authCode = back.searchParams.get('code');
  if (!authCode) throw new Error(`no code: ${callback.url}`);

  const tokens = await timed(ctx, '6 /token (code, PKCE)', () =>
    token(ctx, {
      grant_type: 'authorization_code',
      code: authCode,
      redirect_uri: ctx.supplier.redirectUri,
      code_verifier: verifier,
    }),
  );
  await timed(ctx, '7 verify ID token (jose)', async () => {
    const { payload } = await jwtVerify(tokens.id_token ?? '', ctx.jwks, {
      issuer: ctx.metadata.issuer,
      audience: ctx.supplier.clientId,
      algorithms: ['RS512'],
    });
    if (payload.nonce !== nonce) throw new Error('ID token nonce differs');
  });
  if (!tokens.refresh_token || !tokens.access_token) throw new Error('no refresh or access token');
  return { refreshToken: tokens.refresh_token, accessToken: tokens.access_token };
}

/** A refresh grant; the worker keeps the rotated refresh token and the new access token. */
export async function refresh(ctx: BenchContext, tokens: Tokens): Promise<void> {
  const res = await token(ctx, { grant_type: 'refresh_token', refresh_token: tokens.refreshToken });
  if (!res.refresh_token || !res.access_token) throw new Error('refresh gave no tokens');
  tokens.refreshToken = res.refresh_token;
  tokens.accessToken = res.access_token;
}

async function expectOk(url: string, headers: Record<string, string> = {}): Promise<void> {
  const res = await request(url, { headers });
  if (res.status !== 200) throw new Error(`${url}: ${res.status} ${res.body.slice(0, 200)}`);
}

export const discovery = (ctx: BenchContext) => expectOk(`${ctx.origin}/.well-known/openid-configuration`);
export const jwksDocument = (ctx: BenchContext) => expectOk(ctx.metadata.jwks_uri);
export const userinfo = (ctx: BenchContext, tokens: Tokens) =>
  expectOk(ctx.metadata.userinfo_endpoint, { authorization: `Bearer ${tokens.accessToken}` });
