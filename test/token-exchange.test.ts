// Acting for someone else at the supplier: the `delegations` claim and RFC
// 8693 token exchange at /token, every error with its exact OAuth code.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_EVENTS } from '../src/audit/events.js';
import { ACCESS_TOKEN_TYPE, TOKEN_EXCHANGE_GRANT } from '../src/oidc/token-exchange.js';
import type { Account } from '../src/store/accounts.js';
import type { Permission } from '../src/domain/delegation.js';
import { actionsForGrantor, changeStatus, changeTerms } from '../src/store/delegations.js';
import { activeDelegation, p9Person as p9TestPerson } from './support/delegations.js';
import { saveSupplier } from '../src/store/suppliers.js';
import { TestBrowser } from './support/browser.js';
import { signInThroughSupplier } from './support/flow.js';
import { signInToAccount } from './support/people.js';
import { startTestService, type TestService } from './support/service.js';
import { clientAssertion, demoSupplier, newKeyPair, type TestSupplier } from './support/supplier.js';
import { ASSERTION_TYPE, decodeJwt, exchangeCode, TOKEN_URL, tokenRequest } from './support/token.js';

let service: TestService;
const demo = demoSupplier();

beforeAll(async () => {
  service = await startTestService();
});
afterAll(async () => {
  await service?.close();
});

const p9Person = (tag: string, nhsNumber?: string) => p9TestPerson(service, tag, nhsNumber);
const delegate = (grantor: Account, to: Account, permissions?: readonly Permission[]) =>
  activeDelegation(service, grantor, to, permissions);

/** The delegate signs in at the supplier; returns their access token. */
async function accessTokenOf(
  person: Account,
  supplier: TestSupplier = demo,
  scope = 'openid profile delegations',
) {
  const cb = await signInThroughSupplier(
    service,
    new TestBrowser(service.app),
    supplier,
    { email: person.email, phone: person.phone_number },
    { vtr: '["P9.Cp.Cd"]', scope },
  );
  const tokens = await exchangeCode(service.app, supplier, cb.code!);
  expect(tokens.status, JSON.stringify(tokens.body)).toBe(200);
  return tokens.body.access_token as string;
}

async function exchange(fields: Record<string, string | undefined>, supplier: TestSupplier = demo) {
  const defined = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as Record<
    string,
    string
  >;
  return tokenRequest(service.app, {
    grant_type: TOKEN_EXCHANGE_GRANT,
    subject_token_type: ACCESS_TOKEN_TYPE,
    client_assertion_type: ASSERTION_TYPE,
    client_assertion: await clientAssertion(supplier, TOKEN_URL),
    ...defined,
  });
}

async function userinfo(token: string) {
  const res = await service.app.inject({ url: '/userinfo', headers: { authorization: `Bearer ${token}` } });
  return { status: res.statusCode, body: res.json<Record<string, unknown>>(), headers: res.headers };
}

describe('the delegations claim', () => {
  it("lists who the person may act for, with the grantor's NHS number only with profile", async () => {
    const grantor = await p9Person('grantor', '9990000034');
    const carer = await p9Person('carer');
    await delegate(grantor, carer);
    const withProfile = await userinfo(await accessTokenOf(carer));
    expect(withProfile.status).toBe(200);
    expect(withProfile.body.delegations).toEqual([
      {
        sub: grantor.id,
        given_name: 'Pat',
        family_name: grantor.family_name,
        birthdate: '1950-03-04',
        nhs_number: '9990000034',
        relationship: 'Son',
        permissions: ['appointments', 'prescriptions'],
        expires: null,
      },
    ]);
    const withoutProfile = await userinfo(await accessTokenOf(carer, demo, 'openid delegations'));
    expect((withoutProfile.body.delegations as Record<string, unknown>[])[0]).not.toHaveProperty(
      'nhs_number',
    );
  });

  it('leaves out delegations that could not be used today, and is empty for someone acting for nobody', async () => {
    const grantor = await p9Person('grantor');
    const carer = await p9Person('carer');
    const id = await delegate(grantor, carer);
    await changeTerms(service.database.db, id, { kind: 'grantor', id: grantor.id }, { endsOn: '2020-01-01' });
    expect((await userinfo(await accessTokenOf(carer))).body.delegations).toEqual([]);
  });
});

describe('token exchange', () => {
  let grantor: Account;
  let carer: Account;
  let delegationId: string;
  let carerToken: string;

  beforeAll(async () => {
    grantor = await p9Person('grantor', '9990000042');
    carer = await p9Person('carer');
    delegationId = await delegate(grantor, carer);
    carerToken = await accessTokenOf(carer);
  });

  it('gives a token for the grantor, acting as the delegate, with only the delegated permissions, for 5 minutes at most', async () => {
    const res = await exchange({ subject_token: carerToken, requested_subject: grantor.id });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.headers['cache-control']).toContain('no-store');
    expect(res.body).toMatchObject({
      issued_token_type: ACCESS_TOKEN_TYPE,
      token_type: 'Bearer',
      scope: 'delegation:appointments delegation:prescriptions',
    });
    expect(res.body.expires_in).toBeLessThanOrEqual(300);
    const { header, payload } = decodeJwt(res.body.access_token as string);
    expect(header.alg).toBe('RS512');
    expect(payload).toMatchObject({
      sub: grantor.id,
      act: { sub: carer.id },
      aud: demo.clientId,
      scope: 'delegation:appointments delegation:prescriptions',
      permissions: ['appointments', 'prescriptions'],
      delegation_id: delegationId,
    });
    expect((payload.exp as number) - (payload.iat as number)).toBeLessThanOrEqual(300);

    const acted = await actionsForGrantor(service.database.db, grantor.id);
    expect(acted[0]).toMatchObject({ client_id: demo.clientId, delegate_id: carer.id });
    const audited = await service.database.db
      .selectFrom('audit_events')
      .select('details')
      .where('code', '=', AUDIT_EVENTS.TOKEN_EXCHANGED)
      .where('account_id', '=', grantor.id)
      .execute();
    expect(audited.length).toBeGreaterThan(0);
    // The grantor sees it in their own recent activity.
    const grantorBrowser = new TestBrowser(service.app);
    await signInToAccount(service.database.db, grantorBrowser, grantor);
    expect((await grantorBrowser.get('/account/activity')).body).toContain(
      'Someone you gave access to acted for you through Demo GP surgery app',
    );
  });

  it('narrows to the permissions asked for, and refuses one that was not delegated with invalid_scope', async () => {
    const narrow = await exchange({
      subject_token: carerToken,
      requested_subject: grantor.id,
      scope: 'delegation:prescriptions',
    });
    expect(narrow.body.scope).toBe('delegation:prescriptions');
    const wider = await exchange({
      subject_token: carerToken,
      requested_subject: grantor.id,
      scope: 'delegation:prescriptions delegation:record-view',
    });
    expect(wider.status).toBe(400);
    expect(wider.body).toMatchObject({ error: 'invalid_scope', scope: 'delegation:record-view' });
    const other = await exchange({
      subject_token: carerToken,
      requested_subject: grantor.id,
      scope: 'openid profile',
    });
    expect(other.body.error).toBe('invalid_scope');
  });

  it('refuses a chain: an exchanged token cannot be exchanged again', async () => {
    const first = await exchange({ subject_token: carerToken, requested_subject: grantor.id });
    const again = await exchange({
      subject_token: first.body.access_token as string,
      requested_subject: grantor.id,
    });
    expect(again.status).toBe(400);
    expect(again.body).toMatchObject({
      error: 'invalid_grant',
      error_description: 'a token that already acts for someone cannot be exchanged again',
    });
  });

  it('keeps exchanged tokens away from /userinfo (they carry delegation scopes only)', async () => {
    const res = await exchange({ subject_token: carerToken, requested_subject: grantor.id });
    const info = await userinfo(res.body.access_token as string);
    expect(info.status).toBe(403);
    expect(info.headers['www-authenticate']).toContain('insufficient_scope');
  });

  it('refuses someone the delegate may not act for, and a forged or missing subject token, with invalid_grant', async () => {
    const stranger = await p9Person('stranger');
    const noDelegation = await exchange({ subject_token: carerToken, requested_subject: stranger.id });
    expect(noDelegation.body).toMatchObject({ error: 'invalid_grant' });
    // The grantor cannot act for the carer: delegation runs one way.
    const grantorToken = await accessTokenOf(grantor);
    const reversed = await exchange({ subject_token: grantorToken, requested_subject: carer.id });
    expect(reversed.body.error).toBe('invalid_grant');
    const [h, p] = carerToken.split('.');
    const forged = await exchange({ subject_token: `${h}.${p}.AAAA`, requested_subject: grantor.id });
    expect(forged.body.error).toBe('invalid_grant');
  });

  it('answers invalid_request for missing or unsupported parameters', async () => {
    const cases: [Record<string, string | undefined>, string][] = [
      [{ requested_subject: grantor.id }, "missing required parameter 'subject_token'"],
      [
        {
          subject_token: carerToken,
          requested_subject: grantor.id,
          subject_token_type: 'urn:ietf:params:oauth:token-type:id_token',
        },
        `subject_token_type must be ${ACCESS_TOKEN_TYPE}`,
      ],
      [
        { subject_token: carerToken },
        "missing required parameter 'requested_subject' (the sub of the person to act for)",
      ],
      [
        { subject_token: carerToken, requested_subject: grantor.id, actor_token: 'x' },
        'actor_token is not supported: the subject token names the delegate',
      ],
    ];
    for (const [fields, description] of cases) {
      const res = await exchange(fields);
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ error: 'invalid_request', error_description: description });
    }
  });

  it('answers unauthorized_client to a supplier not approved for delegations, and invalid_grant to another supplier holding the token', async () => {
    const make = async (clientId: string, scopes: string[]): Promise<TestSupplier> => {
      const { privateKey, publicKeyPem } = newKeyPair();
      const redirectUri = 'http://localhost:9999/callback';
      const saved = await saveSupplier(service.database.db, {
        clientId,
        name: clientId,
        publicKeysPem: [publicKeyPem],
        redirectUris: [redirectUri],
        scopes,
        allowedVectors: ['P9.Cp.Cd'],
      });
      expect(saved.ok).toBe(true);
      return { clientId, privateKey, redirectUri, publicKeyPem };
    };
    const unapproved = await make('no-delegations', ['openid', 'profile']);
    const refused = await exchange({ subject_token: carerToken, requested_subject: grantor.id }, unapproved);
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ error: 'unauthorized_client' });
    const otherApproved = await make('other-delegations', ['openid', 'delegations']);
    const stolen = await exchange(
      { subject_token: carerToken, requested_subject: grantor.id },
      otherApproved,
    );
    expect(stolen.body).toMatchObject({
      error: 'invalid_grant',
      error_description: 'subject_token is not a valid access token issued to this client',
    });
  });

  it('stops at the next exchange once the grantor revokes, or either person loses P9', async () => {
    const g = await p9Person('grantor');
    const c = await p9Person('carer');
    const id = await delegate(g, c);
    const token = await accessTokenOf(c);
    expect((await exchange({ subject_token: token, requested_subject: g.id })).status).toBe(200);

    await service.database.db
      .updateTable('accounts')
      .set({ proofing_level: 'P5' })
      .where('id', '=', g.id)
      .execute();
    const unproved = await exchange({ subject_token: token, requested_subject: g.id });
    expect(unproved.body).toMatchObject({
      error: 'invalid_grant',
      error_description: 'no active delegation: both people must have proved who they are to P9',
    });
    await service.database.db
      .updateTable('accounts')
      .set({ proofing_level: 'P9' })
      .where('id', '=', g.id)
      .execute();
    expect((await exchange({ subject_token: token, requested_subject: g.id })).status).toBe(200);

    await changeStatus(
      service.database.db,
      id,
      { type: 'revoke', by: 'grantor' },
      { kind: 'grantor', id: g.id },
    );
    const revoked = await exchange({ subject_token: token, requested_subject: g.id });
    expect(revoked.status).toBe(400);
    expect(revoked.body).toMatchObject({
      error: 'invalid_grant',
      error_description: 'no active delegation: the delegation is not active',
    });
    const refusals = await service.database.db
      .selectFrom('audit_events')
      .select('details')
      .where('code', '=', AUDIT_EVENTS.TOKEN_EXCHANGE_REFUSED)
      .execute();
    expect(refusals.length).toBeGreaterThanOrEqual(2);
  });

  it('refuses after the end date', async () => {
    const g = await p9Person('grantor');
    const c = await p9Person('carer');
    const id = await delegate(g, c);
    const token = await accessTokenOf(c);
    await changeTerms(service.database.db, id, { kind: 'grantor', id: g.id }, { endsOn: '2021-05-05' });
    const res = await exchange({ subject_token: token, requested_subject: g.id });
    expect(res.body).toMatchObject({
      error: 'invalid_grant',
      error_description: 'no active delegation: the delegation has expired',
    });
  });
});
