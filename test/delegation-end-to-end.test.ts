// Delegated access from end to end, over real HTTP: the grantor invites, the
// delegate registers, proves who they are to P9 (GP online services details),
// accepts; a supplier using openid-client signs the delegate in (who chooses
// to manage the grantor's care), reads the `delegations` and `acting_for` claims, exchanges the delegate's token (RFC 8693) and checks
// the exchanged token against the published keys as a resource server would;
// the grantor revokes, and the next exchange is refused.
import { createRemoteJWKSet, exportSPKI, generateKeyPair, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { latestCode, readOutbox } from '../src/adapters/notify/outbox.js';
import { ACCESS_TOKEN_TYPE, TOKEN_EXCHANGE_GRANT } from '../src/oidc/grant-types.js';
import { findAccountByEmail, updateAccount } from '../src/store/accounts.js';
import { delegationsGivenBy } from '../src/store/delegations.js';
import { saveSupplier } from '../src/store/suppliers.js';
import { TestBrowser } from './support/browser.js';
import { newPerson, signInToAccount } from './support/people.js';
import { startTestService, type TestService } from './support/service.js';

const CLIENT_ID = 'family-care-app';
const REDIRECT_URI = 'https://family-care.example/callback';
// Mia Louise Smith-Jones in the synthetic PDS, with GP online services details at A81001 (fixtures/gp-system).
const MIA = {
  nhsNumber: '9990011990',
  gp: { accountId: '9811945208', linkageKey: 'jGuJvGnErhRhZ', odsCode: 'A81001' },
};

let service: TestService;
let config: oidc.Configuration;
const db = () => service.database.db;

beforeAll(async () => {
  service = await startTestService({ listen: true });
  const { privateKey, publicKey } = await generateKeyPair('RS512');
  const saved = await saveSupplier(db(), {
    clientId: CLIENT_ID,
    name: 'Family care app',
    publicKeysPem: [await exportSPKI(publicKey)],
    redirectUris: [REDIRECT_URI],
    scopes: ['openid', 'profile', 'delegations'],
    allowedVectors: ['P9.Cp.Cd'],
  });
  expect(saved.ok).toBe(true);
  config = await oidc.discovery(
    new URL(service.url),
    CLIENT_ID,
    { id_token_signed_response_alg: 'RS512', token_endpoint_auth_method: 'private_key_jwt' },
    oidc.PrivateKeyJwt(privateKey, {
      [oidc.modifyAssertion]: (_header, payload) => {
        payload.aud = config.serverMetadata().token_endpoint;
      },
    }),
    { execute: [oidc.allowInsecureRequests] },
  );
});
afterAll(async () => {
  await service?.close();
});

it('invites, registers, proves, accepts, exchanges a token at the supplier, and stops at the next exchange once revoked', async () => {
  // The grantor: a P9 person signed in to their account.
  const grantorAccount = await newPerson(db(), 'e2e-grantor');
  await updateAccount(db(), grantorAccount.id, {
    proofing_level: 'P9',
    given_name: 'Pat',
    family_name: 'Okafor',
    birthdate: '1950-03-04',
  });
  const grantor = new TestBrowser(service.app);
  await signInToAccount(db(), grantor, grantorAccount);
  await grantor.get('/account/delegates/invite');
  const email = `mia.${Date.now()}@example.com`;
  const sent = await grantor.post('/account/delegates/invite', {
    givenName: 'Mia',
    familyName: 'Smith-Jones',
    day: '30',
    month: '3',
    year: '1944',
    email,
    relationship: 'Sister',
    permissions: 'prescriptions',
  });
  expect(sent.location, sent.body.slice(0, 500)).toBe('/account/delegates');
  const [invitation] = await readOutbox(db(), { recipient: email, limit: 1 });
  const link = /(http:\/\/localhost:\d+\/delegation\/invitation\?token=\S+)/.exec(invitation!.body)![1]!;

  // The delegate registers from the link.
  const delegate = new TestBrowser(service.app);
  expect((await delegate.get(TestBrowser.path(link))).location).toBe('/delegation/accept');
  await delegate.get('/register');
  expect((await delegate.post('/register', { email })).location).toBe('/register/email-code');
  await delegate.get('/register/email-code');
  await delegate.post('/register/email-code', { code: (await latestCode(db(), email))! });
  await delegate.get('/register/password');
  const password = 'a quiet orange lighthouse 42';
  await delegate.post('/register/password', { password, confirm: password });
  await delegate.get('/register/phone');
  await delegate.post('/register/phone', { phone: '07700 900912' });
  await delegate.get('/register/phone-code');
  const registered = await delegate.post('/register/phone-code', {
    code: (await latestCode(db(), '+447700900912'))!,
  });
  expect(registered.location).toBe('/account');

  // Proves who they are to P9 with their GP online services details.
  await delegate.get('/prove-identity/gp-details');
  const proved = await delegate.post('/prove-identity/gp-details', {
    ...MIA.gp,
    familyName: 'Smith-Jones',
    day: '30',
    month: '3',
    year: '1944',
  });
  expect(proved.location, proved.body.slice(0, 500)).toBe('/prove-identity/done');
  const delegateAccount = (await findAccountByEmail(db(), email))!;
  expect(delegateAccount.proofing_level).toBe('P9');

  // Accepts (the invitation waited in the browser).
  await delegate.get('/delegation/accept');
  const accepted = await delegate.post('/delegation/accept', {});
  expect(accepted.status, accepted.body.slice(0, 500)).toBe(303);
  const [delegation] = await delegationsGivenBy(db(), grantorAccount.id);
  expect(delegation?.status).toBe('active');

  // The supplier signs the delegate in with openid-client.
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT_URI,
    scope: 'openid profile delegations',
    state,
    nonce,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    vtr: JSON.stringify(['P9.Cp.Cd']),
  });
  const supplierBrowser = new TestBrowser(service.app);
  expect((await supplierBrowser.follow(url.href, service.url)).url).toBe('/sign-in');
  await supplierBrowser.post('/sign-in', { email, password });
  await supplierBrowser.get('/sign-in/text-code');
  const afterCode = await supplierBrowser.post('/sign-in/text-code', {
    code: (await latestCode(db(), '+447700900912'))!,
  });
  // "Whose care are you managing today?": the grantor's.
  const chooser = await supplierBrowser.follow(afterCode.location!, service.url);
  expect(chooser.url).toBe('/sign-in/acting-for');
  expect(chooser.body).toContain('Pat Okafor');
  const chosen = await supplierBrowser.post('/sign-in/acting-for', { acting_for: grantorAccount.id });
  const callback = await supplierBrowser.follow(chosen.location!, service.url);
  expect(callback.url.startsWith(REDIRECT_URI), callback.url).toBe(true);
  const tokens = await oidc.authorizationCodeGrant(config, new URL(callback.url), {
    pkceCodeVerifier: verifier,
    expectedState: state,
    expectedNonce: nonce,
    idTokenExpected: true,
  });
  const { sub, acting_for: actingFor } = tokens.claims()!;
  expect(actingFor).toBe(grantorAccount.id);
  const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, sub);
  expect(userinfo.delegations).toEqual([
    expect.objectContaining({
      sub: grantorAccount.id,
      family_name: 'Okafor',
      relationship: 'Sister',
      permissions: ['prescriptions'],
    }),
  ]);

  // It acts for the grantor: token exchange, then the token checked as a resource server would.
  const exchange = () =>
    oidc.genericGrantRequest(config, TOKEN_EXCHANGE_GRANT, {
      subject_token: tokens.access_token,
      subject_token_type: ACCESS_TOKEN_TYPE,
      requested_subject: actingFor as string,
      scope: 'delegation:prescriptions',
    });
  const acting = await exchange();
  expect(acting.expires_in).toBeLessThanOrEqual(300);
  const jwks = createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri!));
  const { payload } = await jwtVerify(acting.access_token, jwks, {
    issuer: service.url,
    audience: CLIENT_ID,
    algorithms: ['RS512'],
  });
  expect(payload).toMatchObject({
    sub: grantorAccount.id,
    act: { sub },
    scope: 'delegation:prescriptions',
  });

  // The grantor revokes from their account; the next exchange is refused.
  const manage = await grantor.get(`/account/delegates/${delegation!.id}/revoke`);
  expect(manage.status).toBe(200);
  const revoked = await grantor.post(`/account/delegates/${delegation!.id}/revoke`, {});
  expect(revoked.status).toBe(303);
  await expect(exchange()).rejects.toMatchObject({
    error: 'invalid_grant',
    error_description: 'no active delegation: the delegation is not active',
  });
});
