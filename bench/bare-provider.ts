// The baseline the benchmark compares us with: the installed oidc-provider,
// bare, configured with NHS login's algorithms and lifetimes (RS512 ID tokens
// and JWT access tokens, private_key_jwt RS512 only, PKCE S256, refresh token
// rotation, the same TTLs) behind node:http, with a minimal login interaction
// (a password checked against an argon2id hash made by our own hashPassword,
// so with the same parameters, then a six-digit code) and a minimal userinfo
// that verifies the JWT access token. Everything is kept in memory (a Map
// adapter without oidc-provider's 1,000-entry LRU cap, so memory grows per
// session as a real store would). What it lacks and we have is our overhead.
import { generateKeyPairSync, randomBytes, randomInt, randomUUID, createPublicKey } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLocalJWKSet, exportJWK, jwtVerify, type JWK } from 'jose';
import Provider, {
  type Adapter,
  type AdapterPayload,
  type Configuration,
  type KoaContextWithOIDC,
} from 'oidc-provider';
import { hashPassword, passwordMatches } from '../src/journeys/passwords.js';
import { demoSupplier } from '../test/support/supplier.js';
import { BARE_LIFETIMES as LIFETIMES } from './bare-lifetimes.js';

export interface BarePerson {
  email: string;
  phone: string;
  password: string;
}

interface Account extends BarePerson {
  sub: string;
  hash: string;
}

/** An in-memory adapter: one Map per model, expiry checked on read, indexes for uid and grantId. */
class MapAdapter implements Adapter {
  private static readonly stores = new Map<
    string,
    Map<string, { payload: AdapterPayload; expiresAt: number }>
  >();
  private static readonly grants = new Map<string, Map<string, { model: string; id: string }>>();
  private static readonly uids = new Map<string, string>();
  private readonly store: Map<string, { payload: AdapterPayload; expiresAt: number }>;

  constructor(private readonly model: string) {
    let store = MapAdapter.stores.get(model);
    if (!store) MapAdapter.stores.set(model, (store = new Map()));
    this.store = store;
  }

  upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
    this.store.set(id, { payload, expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : Infinity });
    if (payload.uid) MapAdapter.uids.set(`${this.model}:${payload.uid}`, id);
    if (payload.grantId) {
      let members = MapAdapter.grants.get(payload.grantId);
      if (!members) MapAdapter.grants.set(payload.grantId, (members = new Map()));
      members.set(`${this.model}:${id}`, { model: this.model, id });
    }
    return Promise.resolve();
  }

  find(id: string): Promise<AdapterPayload | undefined> {
    const entry = this.store.get(id);
    if (!entry) return Promise.resolve(undefined);
    if (entry.expiresAt <= Date.now()) {
      this.store.delete(id);
      return Promise.resolve(undefined);
    }
    return Promise.resolve(entry.payload);
  }

  findByUid(uid: string): Promise<AdapterPayload | undefined> {
    const id = MapAdapter.uids.get(`${this.model}:${uid}`);
    return id === undefined ? Promise.resolve(undefined) : this.find(id);
  }

  findByUserCode(): Promise<AdapterPayload | undefined> {
    return Promise.resolve(undefined);
  }

  consume(id: string): Promise<void> {
    const entry = this.store.get(id);
    if (entry) entry.payload.consumed = Math.floor(Date.now() / 1000);
    return Promise.resolve();
  }

  destroy(id: string): Promise<void> {
    this.store.delete(id);
    return Promise.resolve();
  }

  revokeByGrantId(grantId: string): Promise<void> {
    for (const { model, id } of MapAdapter.grants.get(grantId)?.values() ?? [])
      MapAdapter.stores.get(model)?.delete(id);
    MapAdapter.grants.delete(grantId);
    return Promise.resolve();
  }
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function send(res: ServerResponse, status: number, body: string, type = 'text/html; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

function redirect(res: ServerResponse, location: string): void {
  res.writeHead(303, { location });
  res.end();
}

const page = (action: string, fields: string) =>
  `<!doctype html><title>Sign in</title><form method="post" action="${action}">${fields}<button>Continue</button></form>`;

export interface BareProvider {
  url: string;
  people: BarePerson[];
  /** The last code "sent" to a phone number. */
  codeFor(phone: string): string | undefined;
  close(): Promise<void>;
}

export async function startBareProvider(count: number, password: string): Promise<BareProvider> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const supplier = demoSupplier();
  const supplierJwk = await exportJWK(createPublicKey(supplier.privateKey));
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const signingJwk: JWK = { ...(await exportJWK(privateKey)), alg: 'RS512', use: 'sig', kid: randomUUID() };
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicJwk } = signingJwk;
  const publicKeys = createLocalJWKSet({ keys: [publicJwk] });

  // One hash per person, as a real store would hold (same argon2id parameters as ours).
  const accounts = new Map<string, Account>();
  const bySub = new Map<string, Account>();
  for (let i = 0; i < count; i++) {
    const account: Account = {
      sub: randomUUID(),
      email: `bench.${i}@example.com`,
      phone: `+4477009${String(10000 + i).padStart(5, '0')}`,
      password,
      hash: await hashPassword(password),
    };
    accounts.set(account.email, account);
    bySub.set(account.sub, account);
  }
  const codes = new Map<string, string>();
  const pending = new Map<string, { sub: string; code: string }>();
  const claimsOf = (a: Account) => ({
    sub: a.sub,
    email: a.email,
    email_verified: true,
    phone_number: a.phone,
    phone_number_verified: true,
  });
  const userinfoResource = `${url}/userinfo`;
  const scopes = 'openid profile email phone';

  const configuration: Configuration = {
    adapter: MapAdapter,
    clients: [
      {
        client_id: supplier.clientId,
        redirect_uris: [supplier.redirectUri],
        response_types: ['code'],
        grant_types: ['authorization_code', 'refresh_token'],
        token_endpoint_auth_method: 'private_key_jwt',
        token_endpoint_auth_signing_alg: 'RS512',
        id_token_signed_response_alg: 'RS512',
        jwks: { keys: [supplierJwk] },
      },
    ],
    jwks: { keys: [signingJwk] },
    findAccount: (_ctx, sub) => {
      const account = bySub.get(sub);
      return account ? { accountId: sub, claims: () => claimsOf(account) } : undefined;
    },
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      phone: ['phone_number', 'phone_number_verified'],
      profile: ['family_name', 'given_name', 'birthdate'],
    },
    scopes: ['openid', 'profile', 'email', 'phone'],
    responseTypes: ['code'],
    subjectTypes: ['public'],
    clientAuthMethods: ['private_key_jwt'],
    enabledJWA: {
      clientAuthSigningAlgValues: ['RS512'],
      idTokenSigningAlgValues: ['RS512'],
      userinfoSigningAlgValues: ['RS512'],
      requestObjectSigningAlgValues: ['RS512'],
      authorizationSigningAlgValues: ['RS512'],
    },
    extraParams: ['vtr'],
    pkce: { required: () => false },
    features: {
      devInteractions: { enabled: false },
      userinfo: { enabled: true },
      revocation: { enabled: false },
      introspection: { enabled: false },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => userinfoResource,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, _resource, client) => ({
          scope: scopes,
          audience: client.clientId,
          accessTokenTTL: LIFETIMES.AccessToken,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS512' } },
        }),
      },
    },
    async loadExistingGrant(ctx: KoaContextWithOIDC) {
      const { client, session } = ctx.oidc;
      if (!client || !session?.accountId) return undefined;
      const grant = new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId: session.accountId });
      const requested = [...ctx.oidc.requestParamScopes].join(' ');
      grant.addOIDCScope(requested);
      grant.addResourceScope(userinfoResource, requested);
      await grant.save();
      return grant;
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    issueRefreshToken: (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: true,
    expiresWithSession: () => false,
    ttl: { ...LIFETIMES },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    routes: {
      authorization: '/authorize',
      token: '/token',
      jwks: '/.well-known/jwks.json',
      userinfo: '/userinfo',
    },
  };
  const provider = new Provider(url, configuration);
  const engine = provider.callback();

  const interaction = async (req: IncomingMessage, res: ServerResponse, uid: string, step: string) => {
    const details = await provider.interactionDetails(req, res);
    if (details.uid !== uid) return send(res, 400, 'interaction mismatch');
    const base = `/interaction/${uid}`;
    if (req.method === 'GET' && step === '')
      return send(
        res,
        200,
        page(`${base}/password`, '<input name="email"><input name="password" type="password">'),
      );
    if (req.method === 'GET' && step === '/code')
      return send(res, 200, page(`${base}/code`, '<input name="code">'));
    if (req.method === 'POST' && step === '/password') {
      const form = await readForm(req);
      const account = accounts.get(form.get('email') ?? '');
      if (!account || !(await passwordMatches(account.hash, form.get('password') ?? '')))
        return send(res, 200, 'wrong email or password');
      const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
      pending.set(uid, { sub: account.sub, code });
      codes.set(account.phone, code);
      return redirect(res, `${base}/code`);
    }
    if (req.method === 'POST' && step === '/code') {
      const form = await readForm(req);
      const waiting = pending.get(uid);
      if (!waiting || form.get('code') !== waiting.code) return send(res, 200, 'wrong code');
      pending.delete(uid);
      return provider.interactionFinished(
        req,
        res,
        { login: { accountId: waiting.sub } },
        { mergeWithLastSubmission: false },
      );
    }
    return send(res, 404, 'not found');
  };

  const userinfo = async (req: IncomingMessage, res: ServerResponse) => {
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    try {
      const { payload } = await jwtVerify(token ?? '', publicKeys, {
        issuer: url,
        audience: supplier.clientId,
        algorithms: ['RS512'],
      });
      const account = bySub.get(payload.sub ?? '');
      if (!account) throw new Error('no such account');
      send(res, 200, JSON.stringify(claimsOf(account)), 'application/json');
    } catch {
      res.writeHead(401, { 'www-authenticate': 'Bearer error="invalid_token"' });
      res.end();
    }
  };

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const step = /^\/interaction\/([^/]+)(\/password|\/code)?$/.exec(path);
    const handled = step
      ? interaction(req, res, step[1]!, step[2] ?? '')
      : path === '/userinfo'
        ? userinfo(req, res)
        : undefined;
    if (!handled) return void engine(req, res);
    handled.catch((e: unknown) => {
      if (!res.headersSent) send(res, 500, e instanceof Error ? e.message : String(e), 'text/plain');
    });
  });

  return {
    url,
    people: [...accounts.values()].map(({ email, phone, password: p }) => ({ email, phone, password: p })),
    codeFor: (phone) => codes.get(phone),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
