// The demo supplier: a small web app playing an NHS login supplier (a GP
// surgery's appointment app) so a newcomer can walk the whole journey —
// authorization request with state, nonce, PKCE and a vector of trust, the
// code grant authenticated with a private_key_jwt client assertion (RS512),
// ID token and userinfo, step-up, refresh and sign-out.
//
// It talks to the identity service only through the public supplier
// interface (discovery, /authorize, /token, /userinfo), exactly as a real
// supplier would, using openid-client v6.
import { createPrivateKey, randomBytes, timingSafeEqual } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import formbody from '@fastify/formbody';
import cookie from '@fastify/cookie';
import * as client from 'openid-client';
import { decodeJwt, importPKCS8 } from 'jose';
import { claimsTable, esc, page, STYLESHEET } from './html.js';

export interface DemoSupplierOptions {
  /** The identity service's issuer identifier, e.g. http://localhost:3000. */
  issuer: string;
  /** Where this app is reached by browsers, e.g. http://localhost:3001. */
  baseUrl: string;
  clientId: string;
  /** The client's RSA private key (PKCS#8 PEM, 2048 bits or more). */
  privateKeyPem: string;
  /** Path of the redirect URI under baseUrl; default `/callback`. */
  redirectPath?: string;
  logger?: boolean;
}

export const DEFAULT_REDIRECT_PATH = '/callback';
/** The committed development-only key pair (see keys/README.md). */
export const DEMO_SUPPLIER_PRIVATE_KEY_PATH = fileURLToPath(
  new URL('./keys/demo-supplier-private.pem', import.meta.url),
);
export const DEMO_SUPPLIER_PUBLIC_KEY_PATH = fileURLToPath(
  new URL('./keys/demo-supplier-public.pem', import.meta.url),
);

/** The scopes offered on the start page; `openid` is always sent. */
export const OPTIONAL_SCOPES = [
  'profile',
  'basic_demographics',
  'profile_extended',
  'email',
  'phone',
  'landline',
  'gp_registration_details',
  'gp_integration_credentials',
  'client_metadata',
  'delegations',
] as const;

/** Vectors offered on the start page; `default` sends no vtr. */
export const VECTOR_CHOICES = ['P0.Cp', 'P0.Cp.Cd', 'P5.Cp.Cd', 'P9.Cp.Cd', 'default'] as const;
/** What NHS login assumes when no vtr is sent. */
export const DEFAULT_VTR = ['P9.Cp.Cd', 'P9.Cp.Ck', 'P9.Cm'] as const;
const PROMPT_CHOICES = ['default', 'none', 'login'] as const;

const TX_COOKIE = 'demo_supplier_tx';
const SESSION_COOKIE = 'demo_supplier_session';
const TX_TTL_MS = 10 * 60 * 1000;
const SESSION_TTL_MS = 12 * 60 * 60 * 1000;
const MAX_ENTRIES = 10_000;

interface Transaction {
  state: string;
  nonce: string;
  codeVerifier: string;
  /** The vectors sent as vtr; undefined when none was sent (P9 default). */
  vtr: string[] | undefined;
  scope: string;
  expiresAt: number;
}

interface Session {
  idToken: string;
  idClaims: Record<string, unknown>;
  accessToken: string;
  accessTokenExpiresAt: number | undefined;
  refreshToken: string | undefined;
  scope: string;
  grantedScope: string | undefined;
  requestedVtr: string[] | undefined;
  userinfo: Record<string, unknown> | undefined;
  userinfoError: string | undefined;
  csrf: string;
  notice: string | undefined;
  expiresAt: number;
}

type Form = Record<string, string | string[] | undefined>;

export async function buildDemoSupplier(options: DemoSupplierOptions): Promise<FastifyInstance> {
  const issuerUrl = new URL(options.issuer);
  const insecure = issuerUrl.protocol === 'http:';
  if (insecure && !isLoopback(issuerUrl.hostname)) {
    throw new Error(`The issuer must be https (http is allowed for localhost only): ${options.issuer}`);
  }
  if (issuerUrl.protocol !== 'http:' && issuerUrl.protocol !== 'https:') {
    throw new Error(`Unsupported issuer URL: ${options.issuer}`);
  }
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const redirectPath = options.redirectPath ?? DEFAULT_REDIRECT_PATH;
  if (!redirectPath.startsWith('/')) throw new Error('redirectPath must start with /');
  const redirectUri = `${baseUrl}${redirectPath}`;
  const secureCookies = baseUrl.startsWith('https://');

  // The alg of the client assertion is chosen by oauth4webapi from the
  // CryptoKey itself (RSASSA-PKCS1-v1_5 + SHA-512 => RS512), so the key must be
  // imported for RS512; a KeyObject or a SHA-256 import would sign RS256.
  const modulusLength = createPrivateKey(options.privateKeyPem).asymmetricKeyDetails?.modulusLength ?? 0;
  if (modulusLength < 2048) throw new Error('The client key must be an RSA key of 2048 bits or more');
  const signingKey = await importPKCS8(options.privateKeyPem, 'RS512');

  // openid-client puts the issuer in the assertion's aud; NHS login asks for
  // the token endpoint URL, which is known only after discovery.
  let tokenEndpoint: string | undefined;
  const clientAuth = client.PrivateKeyJwt(signingKey, {
    [client.modifyAssertion]: (_header, payload) => {
      if (tokenEndpoint) payload.aud = tokenEndpoint;
    },
  });

  // Discovery is lazy so the demo can start before the identity service, and
  // a failed attempt is forgotten so the next request tries again.
  let configPromise: Promise<client.Configuration> | undefined;
  function getConfig(): Promise<client.Configuration> {
    configPromise ??= client
      .discovery(
        issuerUrl,
        options.clientId,
        {
          token_endpoint_auth_method: 'private_key_jwt',
          id_token_signed_response_alg: 'RS512',
        },
        clientAuth,
        // allowInsecureRequests is marked deprecated only to stand out; http is
        // allowed for loopback issuers only (checked above).
        insecure ? { execute: [client.allowInsecureRequests], timeout: 10 } : { timeout: 10 },
      )
      .then((config) => {
        tokenEndpoint = config.serverMetadata().token_endpoint;
        return config;
      })
      .catch((error: unknown) => {
        configPromise = undefined;
        throw new DiscoveryError(options.issuer, error);
      });
    return configPromise;
  }

  const transactions = new Map<string, Transaction>();
  const sessions = new Map<string, Session>();
  const cookieSecret = randomBytes(32).toString('base64url');

  const app = Fastify({ logger: options.logger ?? false });
  await app.register(cookie, { secret: cookieSecret });
  await app.register(formbody);

  app.addHook('onSend', async (_request, reply) => {
    reply.header(
      'content-security-policy',
      "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; frame-ancestors 'none'",
    );
    reply.header('x-content-type-options', 'nosniff');
    // The callback URL carries the authorization code: never leak it.
    reply.header('referrer-policy', 'no-referrer');
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
  });

  app.setErrorHandler(async (error, request, reply) => {
    if (error instanceof DiscoveryError) {
      request.log.warn({ err: error.cause }, 'discovery failed');
      return html(
        reply.code(503),
        page(
          'NHS login is not reachable',
          `<h1>NHS login is not reachable yet</h1>
<div class="panel error"><p>This app could not read the identity service's discovery document at
<code>${esc(options.issuer)}/.well-known/openid-configuration</code>.</p>
<p class="hint">${esc(describe(error.cause))}</p></div>
<p>If you have just started the service, wait a moment and <a href="/">try again</a>.</p>`,
        ),
      );
    }
    const status = (error as { statusCode?: number }).statusCode ?? 500;
    if (status >= 500) request.log.error({ err: error }, 'demo supplier error');
    return html(
      reply.code(status),
      page(
        'Something went wrong',
        `<h1>Something went wrong</h1>
<div class="panel error"><p>${esc(status >= 500 ? 'The demo app hit an unexpected error.' : describe(error))}</p></div>
<p><a href="/">Back to the start</a></p>`,
      ),
    );
  });

  // --- helpers bound to this instance -------------------------------------

  function setCookie(reply: FastifyReply, name: string, value: string, maxAgeMs: number): void {
    reply.setCookie(name, value, {
      signed: true,
      httpOnly: true,
      sameSite: 'lax',
      secure: secureCookies,
      path: '/',
      maxAge: Math.floor(maxAgeMs / 1000),
    });
  }

  function readCookie(request: FastifyRequest, name: string): string | undefined {
    const raw = request.cookies[name];
    if (!raw) return undefined;
    const unsigned = request.unsignCookie(raw);
    return unsigned.valid && unsigned.value ? unsigned.value : undefined;
  }

  function currentSession(request: FastifyRequest): { id: string; session: Session } | undefined {
    const id = readCookie(request, SESSION_COOKIE);
    if (!id) return undefined;
    const session = sessions.get(id);
    if (!session) return undefined;
    if (session.expiresAt < Date.now()) {
      sessions.delete(id);
      return undefined;
    }
    return { id, session };
  }

  async function startAuthorization(
    reply: FastifyReply,
    request: { scopes: string[]; vtr: string[] | undefined; prompt: string | undefined },
  ): Promise<FastifyReply> {
    const config = await getConfig();
    const codeVerifier = client.randomPKCECodeVerifier();
    const tx: Transaction = {
      state: client.randomState(),
      nonce: client.randomNonce(),
      codeVerifier,
      vtr: request.vtr,
      scope: ['openid', ...request.scopes].join(' '),
      expiresAt: Date.now() + TX_TTL_MS,
    };
    const parameters: Record<string, string> = {
      redirect_uri: redirectUri,
      response_type: 'code',
      scope: tx.scope,
      state: tx.state,
      nonce: tx.nonce,
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
    };
    if (tx.vtr) parameters.vtr = JSON.stringify(tx.vtr);
    if (request.prompt) parameters.prompt = request.prompt;
    const url = client.buildAuthorizationUrl(config, parameters);

    const txId = randomId();
    remember(transactions, txId, tx);
    setCookie(reply, TX_COOKIE, txId, TX_TTL_MS);
    return reply.redirect(url.href, 303);
  }

  function requireCsrf(session: Session, body: Form): boolean {
    const sent = first(body.csrf);
    if (!sent) return false;
    const a = Buffer.from(sent);
    const b = Buffer.from(session.csrf);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  // --- routes -----------------------------------------------------------------

  app.get('/health', async (_request, reply) => reply.type('text/plain; charset=utf-8').send('ok'));

  app.get('/assets/demo-supplier.css', async (_request, reply) =>
    reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=300').send(STYLESHEET),
  );

  app.get('/', async (request, reply) => {
    const signedIn = currentSession(request) !== undefined;
    const signedOut = !signedIn && (request.query as Form).signed_out === '1';
    return html(reply, startPage(signedIn, signedOut));
  });

  app.post('/login', async (request, reply) => {
    const body = (request.body ?? {}) as Form;
    const scopes = all(body.scope).filter((s): s is (typeof OPTIONAL_SCOPES)[number] =>
      (OPTIONAL_SCOPES as readonly string[]).includes(s),
    );
    const vector = first(body.vtr) ?? 'default';
    const prompt = first(body.prompt) ?? 'default';
    if (
      !(VECTOR_CHOICES as readonly string[]).includes(vector) ||
      !(PROMPT_CHOICES as readonly string[]).includes(prompt)
    ) {
      return html(reply.code(400), badRequest('Choose a vector of trust and a prompt from the list.'));
    }
    return startAuthorization(reply, {
      scopes: [...new Set(scopes)],
      vtr: vector === 'default' ? undefined : [vector],
      prompt: prompt === 'default' ? undefined : prompt,
    });
  });

  app.get(redirectPath, async (request, reply) => {
    const query = request.query as Form;
    const state = first(query.state);
    const txId = readCookie(request, TX_COOKIE);
    const tx = txId ? transactions.get(txId) : undefined;
    if (!txId || !tx || tx.expiresAt < Date.now() || !state || !safeEqual(state, tx.state)) {
      return html(
        reply.code(400),
        page(
          'Sign-in response refused',
          `<h1>This sign-in response was refused</h1>
<div class="panel error"><p>Its <code>state</code> does not match a sign-in started from this browser in the last
10 minutes, so it could be a forged or replayed response.</p></div>
<p><a href="/">Start again</a></p>`,
        ),
      );
    }
    // One use only.
    transactions.delete(txId);
    reply.clearCookie(TX_COOKIE, { path: '/' });

    const error = first(query.error);
    if (error) {
      return html(reply, errorPage(error, first(query.error_description)));
    }

    const config = await getConfig();
    const currentUrl = new URL(redirectUri);
    currentUrl.search = new URL(request.url, 'http://placeholder').search;
    let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
    try {
      tokens = await client.authorizationCodeGrant(config, currentUrl, {
        pkceCodeVerifier: tx.codeVerifier,
        expectedState: tx.state,
        expectedNonce: tx.nonce,
      });
    } catch (err) {
      request.log.warn({ err }, 'authorization code grant failed');
      return html(reply.code(502), failurePage('The code could not be exchanged for tokens', err));
    }
    const idClaims = tokens.claims();
    if (!idClaims || !tokens.id_token) {
      return html(reply.code(502), failurePage('No ID token was returned', undefined));
    }

    // The vector that was met must be one of those asked for (or the P9
    // default list when no vtr was sent).
    const accepted = tx.vtr ?? [...DEFAULT_VTR];
    const vot = typeof idClaims.vot === 'string' ? idClaims.vot : undefined;
    if (!vot || !accepted.some((v) => sameVector(v, vot))) {
      return html(
        reply.code(403),
        page(
          'Vector of trust not met',
          `<h1>The vector of trust was not met</h1>
<div class="panel error"><p>The ID token says <code>vot</code> = <code>${esc(vot ?? '(missing)')}</code>,
but this app asked for one of ${accepted.map((v) => `<code>${esc(v)}</code>`).join(', ')}.</p>
<p>A supplier must not sign someone in at a lower level than it asked for.</p></div>
<p><a href="/">Start again</a></p>`,
        ),
      );
    }

    let userinfo: Record<string, unknown> | undefined;
    let userinfoError: string | undefined;
    try {
      userinfo = { ...(await client.fetchUserInfo(config, tokens.access_token, idClaims.sub)) };
    } catch (err) {
      request.log.warn({ err }, 'userinfo failed');
      userinfoError = describe(err);
    }

    const previous = readCookie(request, SESSION_COOKIE);
    if (previous) sessions.delete(previous);
    const sessionId = randomId();
    const expiresIn = tokens.expiresIn();
    remember(sessions, sessionId, {
      idToken: tokens.id_token,
      idClaims: { ...idClaims },
      accessToken: tokens.access_token,
      accessTokenExpiresAt: expiresIn === undefined ? undefined : Date.now() + expiresIn * 1000,
      refreshToken: tokens.refresh_token,
      scope: tx.scope,
      grantedScope: tokens.scope,
      requestedVtr: tx.vtr,
      userinfo,
      userinfoError,
      csrf: randomId(),
      notice: undefined,
      expiresAt: Date.now() + SESSION_TTL_MS,
    });
    setCookie(reply, SESSION_COOKIE, sessionId, SESSION_TTL_MS);
    return reply.redirect('/me', 303);
  });

  app.get('/me', async (request, reply) => {
    const current = currentSession(request);
    if (!current) return reply.redirect('/', 303);
    const { session } = current;
    const notice = session.notice;
    session.notice = undefined;
    return html(reply, mePage(session, notice));
  });

  app.post('/step-up', async (request, reply) => {
    const current = currentSession(request);
    if (!current) return reply.redirect('/', 303);
    if (!requireCsrf(current.session, (request.body ?? {}) as Form)) return forbidden(reply);
    return startAuthorization(reply, {
      scopes: current.session.scope.split(' ').filter((s) => s !== 'openid'),
      vtr: ['P9.Cp.Cd'],
      prompt: undefined,
    });
  });

  app.post('/refresh', async (request, reply) => {
    const current = currentSession(request);
    if (!current) return reply.redirect('/', 303);
    const { session } = current;
    if (!requireCsrf(session, (request.body ?? {}) as Form)) return forbidden(reply);
    if (!session.refreshToken) {
      session.notice = 'No refresh token was issued, so there is nothing to refresh.';
      return reply.redirect('/me', 303);
    }
    const config = await getConfig();
    let tokens: Awaited<ReturnType<typeof client.refreshTokenGrant>>;
    try {
      tokens = await client.refreshTokenGrant(config, session.refreshToken);
    } catch (err) {
      request.log.warn({ err }, 'refresh failed');
      return html(reply.code(502), failurePage('The tokens could not be refreshed', err, true));
    }
    session.accessToken = tokens.access_token;
    if (tokens.refresh_token) session.refreshToken = tokens.refresh_token;
    if (tokens.scope) session.grantedScope = tokens.scope;
    const expiresIn = tokens.expiresIn();
    session.accessTokenExpiresAt = expiresIn === undefined ? undefined : Date.now() + expiresIn * 1000;
    const claims = tokens.claims();
    if (tokens.id_token && claims) {
      session.idToken = tokens.id_token;
      session.idClaims = { ...claims };
    }
    session.notice =
      session.accessTokenExpiresAt === undefined
        ? 'Tokens refreshed. The token endpoint did not say when the new access token expires.'
        : `Tokens refreshed. The new access token expires at ${new Date(session.accessTokenExpiresAt).toISOString()} (in ${expiresIn} seconds).`;
    return reply.redirect('/me', 303);
  });

  app.post('/logout', async (request, reply) => {
    const current = currentSession(request);
    if (!current) return reply.redirect('/', 303);
    if (!requireCsrf(current.session, (request.body ?? {}) as Form)) return forbidden(reply);
    sessions.delete(current.id);
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    let config: client.Configuration | undefined;
    try {
      config = await getConfig();
    } catch {
      config = undefined;
    }
    if (config?.serverMetadata().end_session_endpoint) {
      const url = client.buildEndSessionUrl(config, {
        id_token_hint: current.session.idToken,
        post_logout_redirect_uri: `${baseUrl}/`,
      });
      return reply.redirect(url.href, 303);
    }
    return reply.redirect('/?signed_out=1', 303);
  });

  return app;
}

// --- pages ---------------------------------------------------------------------

const SCOPE_HINTS: Record<(typeof OPTIONAL_SCOPES)[number], string> = {
  profile: 'NHS number, family name, date of birth, proofing level (P5 and above)',
  basic_demographics: 'family name, date of birth, proofing level; not with profile (P5 and above)',
  profile_extended: 'given name (P5 and above)',
  email: 'email address',
  phone: 'mobile number',
  landline: 'landline number',
  gp_registration_details: 'GP practice ODS code (P5 and above)',
  gp_integration_credentials: 'GP online services linkage (P9, approved clients only)',
  client_metadata: "this app's own note about the person",
  delegations: 'whose care the person may manage, and whose they chose to manage today (acting_for)',
};

const DEFAULT_SCOPES = new Set<string>(['profile', 'email', 'phone']);

const VECTOR_LABELS: Record<(typeof VECTOR_CHOICES)[number], string> = {
  'P0.Cp': 'P0.Cp – verified email and phone, password',
  'P0.Cp.Cd': 'P0.Cp.Cd – verified email and phone, password and a one-time code',
  'P5.Cp.Cd': 'P5.Cp.Cd – matched to the NHS record, password and a one-time code',
  'P9.Cp.Cd': 'P9.Cp.Cd – identity fully proved, password and a one-time code',
  default: 'P9 default (no vtr sent: any of P9.Cp.Cd, P9.Cp.Ck, P9.Cm)',
};

function startPage(signedIn: boolean, signedOut: boolean): string {
  const scopes = OPTIONAL_SCOPES.map(
    (
      s,
    ) => `<label class="choice"><input type="checkbox" name="scope" value="${esc(s)}"${DEFAULT_SCOPES.has(s) ? ' checked' : ''}>
<code>${esc(s)}</code> <span class="hint">${esc(SCOPE_HINTS[s])}</span></label>`,
  ).join('\n');
  const vectors = VECTOR_CHOICES.map(
    (
      v,
    ) => `<label class="choice"><input type="radio" name="vtr" value="${esc(v)}"${v === 'default' ? ' checked' : ''}>
${esc(VECTOR_LABELS[v])}</label>`,
  ).join('\n');
  const prompts = (
    [
      ['default', 'Default – sign in, or single sign-on if already signed in to NHS login'],
      ['none', 'none – single sign-on only; error sso_login_required if there is no NHS login session'],
      ['login', 'login – always ask the person to sign in again'],
    ] as const
  )
    .map(
      ([
        value,
        label,
      ]) => `<label class="choice"><input type="radio" name="prompt" value="${esc(value)}"${value === 'default' ? ' checked' : ''}>
${esc(label)}</label>`,
    )
    .join('\n');
  const signedInPanel = signedIn
    ? `<div class="panel info"><p>You are already signed in to this app. <a href="/me">See what NHS login told it</a>.</p></div>`
    : signedOut
      ? `<div class="panel info"><p>You have signed out of the demo app.</p></div>`
      : '';
  return page(
    'Start',
    `<h1>Demo GP surgery app</h1>
${signedInPanel}
<p class="lede">Book appointments and order repeat prescriptions. To use this app, sign in with NHS login.</p>
<p class="hint">This page lets you choose what the app asks NHS login for, so you can see how each choice changes the journey and the claims returned.</p>
<form method="post" action="/login">
<fieldset>
<legend>Scopes</legend>
<p class="hint"><code>openid</code> is always sent.</p>
${scopes}
</fieldset>
<fieldset>
<legend>Vector of trust (vtr)</legend>
${vectors}
</fieldset>
<fieldset>
<legend>Prompt</legend>
${prompts}
</fieldset>
<button class="button" type="submit">Continue to NHS login</button>
</form>`,
    { signedIn },
  );
}

const ERROR_HINTS: Record<string, string> = {
  sso_login_required:
    'prompt=none was sent but there is no NHS login session in this browser, so NHS login could not sign the person in silently. Try again without prompt=none.',
  login_required: 'The person needs to sign in.',
  access_denied: 'The person cancelled, or NHS login refused the request.',
  invalid_scope:
    'A scope was not allowed for this client, or profile and basic_demographics were asked for together.',
  invalid_request: 'The request was malformed or a parameter (such as vtr) was not allowed for this client.',
  consent_required: 'The person has not agreed to share the information.',
};

function errorPage(error: string, description: string | undefined): string {
  const hint = ERROR_HINTS[error];
  return page(
    'NHS login returned an error',
    `<h1>NHS login returned an error</h1>
<div class="panel error">
<dl class="summary">
<dt>error</dt><dd><code>${esc(error)}</code></dd>
<dt>error_description</dt><dd>${description ? esc(description) : '<span class="hint">(none)</span>'}</dd>
</dl>
${hint ? `<p>${esc(hint)}</p>` : ''}
</div>
<p><a href="/">Back to the start</a></p>`,
  );
}

function failurePage(heading: string, err: unknown, signedIn = false): string {
  return page(
    heading,
    `<h1>${esc(heading)}</h1>
<div class="panel error"><p>${esc(err === undefined ? heading : describe(err))}</p></div>
<p><a href="${signedIn ? '/me' : '/'}">${signedIn ? 'Back to your account' : 'Back to the start'}</a></p>`,
    { signedIn },
  );
}

function badRequest(message: string): string {
  return page(
    'Bad request',
    `<h1>Bad request</h1><div class="panel error"><p>${esc(message)}</p></div><p><a href="/">Back to the start</a></p>`,
  );
}

function mePage(session: Session, notice: string | undefined): string {
  const claims = session.idClaims;
  const vtm = typeof claims.vtm === 'string' ? claims.vtm : undefined;
  const vtmHtml = vtm
    ? /^https?:\/\//.test(vtm)
      ? `<a href="${esc(vtm)}"><code>${esc(vtm)}</code></a>`
      : `<code>${esc(vtm)}</code>`
    : '<span class="hint">(none)</span>';
  const ipl = claims.identity_proofing_level ?? session.userinfo?.identity_proofing_level;
  let accessClaims: Record<string, unknown> | undefined;
  let accessNote = '';
  try {
    accessClaims = decodeJwt(session.accessToken);
  } catch {
    accessNote = '<p class="hint">The access token is not a JWT, so it cannot be decoded.</p>';
  }
  const expiry =
    session.accessTokenExpiresAt === undefined
      ? '<span class="hint">(not stated)</span>'
      : esc(new Date(session.accessTokenExpiresAt).toISOString());
  const csrf = `<input type="hidden" name="csrf" value="${esc(session.csrf)}">`;
  const noticeHtml = notice ? `<div class="panel info"><p>${esc(notice)}</p></div>` : '';
  return page(
    'You are signed in',
    `<h1>You are signed in</h1>
${noticeHtml}
<div class="panel success"><p>NHS login signed you in to the demo GP surgery app.</p></div>
<dl class="summary">
<dt>Vector of trust met (<code>vot</code>)</dt><dd><code>${esc(claims.vot)}</code></dd>
<dt>Trustmark (<code>vtm</code>)</dt><dd>${vtmHtml}</dd>
<dt><code>identity_proofing_level</code></dt><dd>${ipl === undefined ? '<span class="hint">(not released for these scopes)</span>' : `<code>${esc(ipl)}</code>`}</dd>
<dt>Requested <code>vtr</code></dt><dd>${session.requestedVtr ? `<code>${esc(JSON.stringify(session.requestedVtr))}</code>` : `<span class="hint">none sent (P9 default)</span>`}</dd>
<dt>Requested scope</dt><dd><code>${esc(session.scope)}</code></dd>
<dt>Granted scope</dt><dd>${session.grantedScope ? `<code>${esc(session.grantedScope)}</code>` : '<span class="hint">(not stated)</span>'}</dd>
<dt>Access token expires</dt><dd>${expiry}</dd>
</dl>
<form class="inline-form" method="post" action="/step-up">${csrf}<button class="button" type="submit">Prove more (step up to P9)</button></form>
<form class="inline-form" method="post" action="/refresh">${csrf}<button class="button secondary" type="submit">Refresh tokens</button></form>
<form class="inline-form" method="post" action="/logout">${csrf}<button class="button warning" type="submit">Sign out</button></form>
<h2>ID token</h2>
<p class="hint">Verified by this app: signature (RS512, from the JWKS), issuer, audience, expiry, nonce.</p>
${claimsTable('ID token claims', claims)}
<h2>Userinfo</h2>
${session.userinfoError ? `<div class="panel error"><p>Userinfo failed: ${esc(session.userinfoError)}</p></div>` : claimsTable('Userinfo claims', session.userinfo)}
<h2>Access token</h2>
<p class="hint"><strong>Decoded, not verified.</strong> The access token is meant for the userinfo endpoint and other APIs, which verify it; a supplier should treat it as opaque. It is shown here only so you can see what it carries.</p>
${accessNote}
${claimsTable('Access token claims (decoded, not verified)', accessClaims)}`,
    { signedIn: true },
  );
}

// --- small helpers ---------------------------------------------------------------

class DiscoveryError extends Error {
  constructor(issuer: string, cause: unknown) {
    super(`Discovery of ${issuer} failed`, { cause });
    this.name = 'DiscoveryError';
  }
}

function html(reply: FastifyReply, body: string): FastifyReply {
  return reply.type('text/html; charset=utf-8').send(body);
}

function forbidden(reply: FastifyReply): FastifyReply {
  return html(
    reply.code(403),
    page(
      'Forbidden',
      `<h1>That request was refused</h1><div class="panel error"><p>The form had expired or did not come from this app.</p></div><p><a href="/me">Back to your account</a></p>`,
      { signedIn: true },
    ),
  );
}

function isLoopback(hostname: string): boolean {
  return (
    hostname === 'localhost' ||
    hostname.endsWith('.localhost') ||
    hostname === '[::1]' ||
    /^127(?:\.\d{1,3}){3}$/.test(hostname)
  );
}

function randomId(): string {
  return randomBytes(32).toString('base64url');
}

/** Stores an entry, dropping expired ones and capping memory. */
function remember<T extends { expiresAt: number }>(map: Map<string, T>, key: string, value: T): void {
  const now = Date.now();
  for (const [k, v] of map) {
    if (v.expiresAt < now) map.delete(k);
  }
  while (map.size >= MAX_ENTRIES) {
    const oldest = map.keys().next().value;
    if (oldest === undefined) break;
    map.delete(oldest);
  }
  map.set(key, value);
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function all(value: string | string[] | undefined): string[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Vectors are sets of components: P9.Cp.Cd equals P9.Cd.Cp. */
function sameVector(a: string, b: string): boolean {
  const norm = (v: string): string => v.split('.').sort().join('.');
  return norm(a) === norm(b);
}

function describe(err: unknown): string {
  if (err instanceof client.ResponseBodyError) {
    return `${err.error}${err.error_description ? `: ${err.error_description}` : ''}`;
  }
  if (err instanceof client.AuthorizationResponseError) {
    return `${err.error}${err.error_description ? `: ${err.error_description}` : ''}`;
  }
  if (err instanceof client.WWWAuthenticateChallengeError) {
    const challenge = err.cause[0];
    const error = challenge?.parameters.error;
    return error
      ? `${error}${challenge.parameters.error_description ? `: ${challenge.parameters.error_description}` : ''}`
      : err.message;
  }
  if (err instanceof Error) {
    const cause = err.cause instanceof Error ? ` (${err.cause.message})` : '';
    return `${err.message}${cause}`;
  }
  return String(err);
}
