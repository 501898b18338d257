// How a stored supplier is shown to the operator: a readable summary after
// add and change, and the snippet a supplier's developers start from.
import { calculateJwkThumbprint, type JWK } from 'jose';
import type { Supplier } from '../../store/schema.js';

/** Short fingerprints of a supplier's registered keys (RFC 7638 thumbprints). */
export async function keyThumbprints(s: Supplier): Promise<string[]> {
  const keys = s.metadata.jwks?.keys ?? [];
  return Promise.all(keys.map((k) => calculateJwkThumbprint(k as JWK)));
}

export async function describeSupplier(s: Supplier): Promise<string[]> {
  const m = s.metadata;
  const keys = m.jwks_uri
    ? [`  keys:                      fetched from ${m.jwks_uri}`]
    : (await keyThumbprints(s)).map(
        (t, i) => `  ${i === 0 ? 'public keys (thumbprints):' : '                          '} ${t}`,
      );
  const listed = (label: string, items: readonly string[] | undefined) =>
    items?.length
      ? items.map((v, i) => `  ${i === 0 ? label.padEnd(26) : ' '.repeat(26)} ${v}`)
      : [`  ${label.padEnd(26)} (none)`];
  return [
    `  client id:                 ${s.client_id}`,
    `  name:                      ${s.name}`,
    ...listed('redirect URIs:', m.redirect_uris),
    `  scopes:                    ${m.scope}`,
    `  vectors of trust allowed:  ${m.allowed_vtr.join(' ')}`,
    ...keys,
    `  extra assertion algs:      ${m.client_assertion_algs.length ? m.client_assertion_algs.join(' ') : '(none: RS512 only)'}`,
    `  single sign-on partners:   ${m.sso_partners.length ? m.sso_partners.join(' ') : '(none)'}`,
    ...listed('post-logout redirect URIs:', m.post_logout_redirect_uris),
    `  back-channel logout URI:   ${m.backchannel_logout_uri ?? '(none)'}`,
    `  sandpit:                   ${m.sandpit ? 'yes' : 'no'}`,
    `  Users (SCIM) API:          ${m.users_api ? 'approved' : 'no'}`,
  ];
}

/** A JavaScript string literal in single quotes. */
function quote(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** A starting point for the supplier's developers, with openid-client (v6). */
export function openidClientSnippet(s: Supplier, issuer: string): string[] {
  const insecure = issuer.startsWith('http://');
  const redirect = s.metadata.redirect_uris[0] ?? 'https://your-service.example/callback';
  return [
    `import * as client from 'openid-client';`,
    `import { importPKCS8 } from 'jose';`,
    ``,
    `// Import the private key for RS512: openid-client picks the assertion alg from the key.`,
    `const privateKey = await importPKCS8(process.env.NHS_LOGIN_PRIVATE_KEY_PEM, 'RS512');`,
    `const config = await client.discovery(`,
    `  new URL(${quote(issuer)}),`,
    `  ${quote(s.client_id)},`,
    `  { token_endpoint_auth_method: 'private_key_jwt', id_token_signed_response_alg: 'RS512' },`,
    `  client.PrivateKeyJwt(privateKey, {`,
    `    // The client assertion's aud must be the token endpoint.`,
    `    [client.modifyAssertion]: (_header, payload) => {`,
    `      payload.aud = config.serverMetadata().token_endpoint;`,
    `    },`,
    `  }),`,
    ...(insecure ? [`  { execute: [client.allowInsecureRequests] }, // http: local development only`] : []),
    `);`,
    `const url = client.buildAuthorizationUrl(config, {`,
    `  redirect_uri: ${quote(redirect)},`,
    `  scope: ${quote(s.metadata.scope)},`,
    `  state: client.randomState(),`,
    `  nonce: client.randomNonce(),`,
    `  vtr: JSON.stringify([${s.metadata.allowed_vtr.map(quote).join(', ')}]),`,
    `});`,
  ];
}
