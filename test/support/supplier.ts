// Plays a supplier in tests: builds authorization URLs and signs client
// assertions (private_key_jwt, RS512) with a key of its own.
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import { readFileSync } from 'node:fs';
import { SignJWT } from 'jose';

export interface TestSupplier {
  clientId: string;
  redirectUri: string;
  privateKey: KeyObject;
  publicKeyPem: string;
}

export function newKeyPair(): { privateKey: KeyObject; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { privateKey, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

export function demoSupplier(): TestSupplier {
  const pem = readFileSync(
    new URL('../../demo-supplier/keys/demo-supplier-private.pem', import.meta.url),
    'utf8',
  );
  const privateKey = createPrivateKey(pem);
  return {
    clientId: 'demo-supplier',
    redirectUri: 'http://localhost:3001/callback',
    privateKey,
    publicKeyPem: createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString(),
  };
}

export function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export function authorizeUrl(
  s: TestSupplier,
  params: Record<string, string | undefined> = {},
): { url: string; state: string; nonce: string } {
  const state = params.state ?? randomBytes(8).toString('hex');
  const nonce = params.nonce ?? randomBytes(8).toString('hex');
  const query = new URLSearchParams();
  const all: Record<string, string | undefined> = {
    response_type: 'code',
    client_id: s.clientId,
    redirect_uri: s.redirectUri,
    scope: 'openid profile email phone',
    state,
    nonce,
    ...params,
  };
  for (const [k, v] of Object.entries(all)) if (v !== undefined) query.set(k, v);
  return { url: `/authorize?${query.toString()}`, state, nonce };
}

export async function clientAssertion(
  s: TestSupplier,
  audience: string,
  options: {
    alg?: string;
    kid?: string;
    jti?: string;
    lifetime?: number;
    iss?: string;
    sub?: string;
    key?: KeyObject;
  } = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: options.alg ?? 'RS512', ...(options.kid ? { kid: options.kid } : {}) })
    .setIssuer(options.iss ?? s.clientId)
    .setSubject(options.sub ?? s.clientId)
    .setAudience(audience)
    .setJti(options.jti ?? randomBytes(12).toString('hex'))
    .setIssuedAt(now)
    .setExpirationTime(now + (options.lifetime ?? 60))
    .sign(options.key ?? s.privateKey);
}
