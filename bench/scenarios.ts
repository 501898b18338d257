// What the benchmark does, one operation at a time, as a person's browser and
// a supplier's back end would do it over HTTP: a complete sign-in, a refresh
// grant, and the supplier's GETs (discovery, JWKS, userinfo). The same
// operations run against our service and against the bare oidc-provider;
// only the login pages' addresses differ (BenchContext.login).
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { authorizeUrl, clientAssertion, pkce, type TestSupplier } from '../test/support/supplier.js';
import { BrowserClient, request } from './http-client.js';

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

export interface Metadata {
  issuer: string;
  token_endpoint: string;
  jwks_uri: string;
  userinfo_endpoint: string;
}

/** Where the login pages are, given the page authorize led to; throws when it led elsewhere. */
export type LoginPages = (pageUrl: string) => { password: string; code: string };

/** Our service: /sign-in, then /sign-in/text-code. */
export const ourLoginPages: LoginPages = (pageUrl) => {
  if (!pageUrl.endsWith('/sign-in')) throw new Error(`authorize went to ${pageUrl}`);
  return { password: '/sign-in', code: '/sign-in/text-code' };
};

/** The bare provider (bench/bare-provider.ts): /interaction/<uid>, then …/password and …/code. */
export const bareLoginPages: LoginPages = (pageUrl) => {
  const path = new URL(pageUrl).pathname;
  if (!/^\/interaction\/[^/]+$/.test(path)) throw new Error(`authorize went to ${pageUrl}`);
  return { password: `${path}/password`, code: `${path}/code` };
};

export interface BenchContext {
  origin: string;
  supplier: TestSupplier;
  metadata: Metadata;
  jwks: ReturnType<typeof createRemoteJWKSet>;
  login: LoginPages;
  /** The last text code the server sent to a phone number (asked of the server over IPC). */
  codeFor: (phone: string) => Promise<string | undefined>;
  /** Latency of every /token request, milliseconds (cleared between runs). */
  tokenLatencies: number[];
  /** Time spent in each step of a sign-in, milliseconds, summed over sign-ins. */
  steps: Map<string, number>;
  /**
   * When set, the server's CPU time so far (microseconds), read before and
   * after each step into stepCpu: for sign-ins one at a time, where nothing
   * else runs on the server, the server CPU each step costs.
   */
  serverCpu?: (() => Promise<number>) | undefined;
  /** Server CPU per step, milliseconds, summed over sign-ins (only with serverCpu). */
  stepCpu: Map<string, number>;
}

export interface Person {
  email: string;
  phone: string;
  password: string;
}

/** One worker's tokens: the latest refresh token (rotated on every use) and access token. */
export interface Tokens {
  refreshToken: string;
  accessToken: string;
}

export async function createContext(
  origin: string,
  supplier: TestSupplier,
  login: LoginPages,
  codeFor: BenchContext['codeFor'],
): Promise<BenchContext> {
  const res = await request(`${origin}/.well-known/openid-configuration`);
  if (res.status !== 200) throw new Error(`discovery failed: ${res.status}`);
  const metadata = JSON.parse(res.body) as Metadata;
  return {
    origin,
    supplier,
    metadata,
    jwks: createRemoteJWKSet(new URL(metadata.jwks_uri)),
    login,
    codeFor,
    tokenLatencies: [],
    steps: new Map(),
    stepCpu: new Map(),
  };
}

async function timed<T>(ctx: BenchContext, step: string, work: () => Promise<T>): Promise<T> {
  const cpu0 = ctx.serverCpu ? await ctx.serverCpu() : 0;
  const t0 = performance.now();
  try {
    return await work();
  } finally {
    ctx.steps.set(step, (ctx.steps.get(step) ?? 0) + performance.now() - t0);
    if (ctx.serverCpu) {
      const cpu1 = await ctx.serverCpu();
      ctx.stepCpu.set(step, (ctx.stepCpu.get(step) ?? 0) + (cpu1 - cpu0) / 1000);
    }
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
 * authorize → login page (password) → the text code sent → back to the
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

  const start = await timed(ctx, '1 authorize → login page', () => browser.follow(url));
  if (start.status !== 200) throw new Error(`authorize went to ${start.url} (${start.status})`);
  const pages = ctx.login(start.url);

  const password = await timed(ctx, '2 POST password (argon2id)', () =>
    browser.post(pages.password, { email: person.email, password: person.password }),
  );
  if (password.location !== pages.code) {
    throw new Error(`password: ${password.status} ${password.body.slice(0, 200)}`);
  }
  await timed(ctx, '3 code page', () => browser.get(password.location!));
  const code = await timed(ctx, '4 code as sent (IPC to the server)', () => ctx.codeFor(person.phone));
  if (!code) throw new Error('no text code sent');

  const callback = await timed(ctx, '5 POST code → callback', async () => {
    const posted = await browser.post(pages.code, { code });
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
