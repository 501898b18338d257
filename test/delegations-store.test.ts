// The delegations store on embedded Postgres and, when it answers, on the
// PostgreSQL server (where two transactions really race).
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccount } from '../src/store/accounts.js';
import { migrate, openDatabase, type OpenDatabase } from '../src/store/db.js';
import {
  actionsForGrantor,
  changeStatus,
  changeTerms,
  createInvitation,
  createPracticeDelegation,
  delegationHistory,
  delegationsGivenBy,
  delegationsGivenTo,
  expireDue,
  findOpenInvitation,
  recordActed,
} from '../src/store/delegations.js';
import { dropSchema, POSTGRES_URL, postgresAvailable } from './support/postgres.js';

const onServer = await postgresAvailable('the delegations store tests on the PostgreSQL server');

function suite(name: string, open: () => Promise<OpenDatabase>, cleanup: () => Promise<void>) {
  describe(name, () => {
    let store: OpenDatabase;
    beforeAll(async () => {
      store = await open();
      await migrate(store.db, store.schema);
    });
    afterAll(async () => {
      await store?.close();
      await cleanup();
    });

    async function person(birthdate = '1980-01-01'): Promise<string> {
      const account = await createAccount(store.db, {
        email: `${randomUUID()}@example.com`,
        password_hash: 'h',
        phone_number: '+447700900123',
        proofing_level: 'P9',
        birthdate,
      });
      return account!.id;
    }

    async function invite(
      grantorId: string,
      tokenHash = randomUUID(),
      expiresAt = new Date(Date.now() + 60_000),
    ) {
      const id = await createInvitation(store.db, {
        grantorId,
        relationship: 'Daughter',
        permissions: ['appointments', 'prescriptions'],
        invitee: {
          email: 'Carer@Example.com',
          familyName: 'Jones',
          givenName: 'Sam',
          birthDate: '1990-05-05',
        },
        tokenHash,
        expiresAt,
      });
      return { id, tokenHash };
    }

    it('keeps an invitation open until it is accepted once, then clears its token', async () => {
      const grantor = await person();
      const delegate = await person();
      const { id, tokenHash } = await invite(grantor);
      expect((await findOpenInvitation(store.db, tokenHash))?.invitee_email).toBe('carer@example.com');

      const accepted = await changeStatus(
        store.db,
        id,
        { type: 'accept', bothProved: true },
        { kind: 'delegate', id: delegate },
        { delegateId: delegate },
      );
      expect(accepted).toMatchObject({ ok: true, value: { from: 'invited', to: 'active' } });
      expect(await findOpenInvitation(store.db, tokenHash)).toBeUndefined();
      const again = await changeStatus(
        store.db,
        id,
        { type: 'accept', bothProved: true },
        { kind: 'delegate', id: delegate },
        { delegateId: delegate },
      );
      expect(again).toEqual({ ok: false, error: { kind: 'not-allowed', from: 'active', event: 'accept' } });
      expect((await delegationsGivenTo(store.db, delegate)).map((d) => d.id)).toEqual([id]);
      expect((await delegationHistory(store.db, id)).map((e) => [e.event, e.to_status])).toEqual([
        ['created', 'invited'],
        ['accept', 'active'],
      ]);
    });

    it('does not open an expired invitation', async () => {
      const { tokenHash } = await invite(await person(), randomUUID(), new Date(Date.now() - 1000));
      expect(await findOpenInvitation(store.db, tokenHash)).toBeUndefined();
    });

    it('lets exactly one of two racing acceptances win', async () => {
      const grantor = await person();
      const [a, b] = [await person(), await person()];
      const { id } = await invite(grantor);
      const results = await Promise.all(
        [a, b].map((delegate) =>
          changeStatus(
            store.db,
            id,
            { type: 'accept', bothProved: true },
            { kind: 'delegate', id: delegate },
            { delegateId: delegate },
          ),
        ),
      );
      expect(results.filter((r) => r.ok)).toHaveLength(1);
      expect(await delegationHistory(store.db, id)).toHaveLength(2);
    });

    it('refuses a second live delegation between the same two people', async () => {
      const grantor = await person();
      const delegate = await person();
      for (let i = 0; i < 2; i++) {
        const { id } = await invite(grantor);
        const r = await changeStatus(
          store.db,
          id,
          { type: 'accept', bothProved: true },
          { kind: 'delegate', id: delegate },
          { delegateId: delegate },
        );
        expect(r.ok).toBe(i === 0);
        if (!r.ok) expect(r.error).toEqual({ kind: 'already-delegated' });
      }
    });

    it('revokes for good, keeps terms changes in the history, and refuses changes after', async () => {
      const grantor = await person();
      const delegate = await person();
      const { id } = await invite(grantor);
      await changeStatus(
        store.db,
        id,
        { type: 'accept', bothProved: true },
        { kind: 'delegate' },
        { delegateId: delegate },
      );
      const changed = await changeTerms(
        store.db,
        id,
        { kind: 'grantor', id: grantor },
        {
          permissions: ['appointments'],
          endsOn: '2027-01-31',
        },
      );
      expect(changed).toMatchObject({
        ok: true,
        value: { permissions: ['appointments'], ends_on: '2027-01-31' },
      });
      const revoked = await changeStatus(
        store.db,
        id,
        { type: 'revoke', by: 'grantor' },
        { kind: 'grantor', id: grantor },
      );
      expect(revoked).toMatchObject({ ok: true, value: { to: 'revoked' } });
      expect(
        await changeTerms(store.db, id, { kind: 'grantor', id: grantor }, { permissions: ['messages'] }),
      ).toEqual({
        ok: false,
        error: { kind: 'finished', status: 'revoked' },
      });
      const history = await delegationHistory(store.db, id);
      expect(history.map((e) => e.event)).toEqual(['created', 'accept', 'changed', 'revoke']);
      // Events sharing a timestamp (one transaction, or embedded Postgres's millisecond clock) keep written order.
      await store.db
        .updateTable('delegation_events')
        .set({ created_at: new Date('2026-01-01T00:00:00Z') })
        .where('delegation_id', '=', id)
        .execute();
      expect((await delegationHistory(store.db, id)).map((e) => e.event)).toEqual([
        'created',
        'accept',
        'changed',
        'revoke',
      ]);
      expect(history[2]!.details).toMatchObject({
        before: { permissions: ['appointments', 'prescriptions'] },
        after: { permissions: ['appointments'] },
      });
      // A finished delegation does not block a new one between the same people.
      const { id: next } = await invite(grantor);
      const accepted = await changeStatus(
        store.db,
        next,
        { type: 'accept', bothProved: true },
        { kind: 'delegate' },
        { delegateId: delegate },
      );
      expect(accepted.ok).toBe(true);
      expect((await delegationsGivenBy(store.db, grantor)).map((d) => d.status)).toEqual([
        'active',
        'revoked',
      ]);
    });

    it("records what the delegate did, for the grantor's activity page", async () => {
      const grantor = await person();
      const delegate = await person();
      const { id } = await invite(grantor);
      const accepted = await changeStatus(
        store.db,
        id,
        { type: 'accept', bothProved: true },
        { kind: 'delegate' },
        { delegateId: delegate },
      );
      if (!accepted.ok) throw new Error('not accepted');
      await recordActed(store.db, accepted.value.delegation, 'gp-app', ['prescriptions']);
      const actions = await actionsForGrantor(store.db, grantor);
      expect(actions).toHaveLength(1);
      expect(actions[0]).toMatchObject({
        client_id: 'gp-app',
        delegate_id: delegate,
        actor_kind: 'delegate',
        details: { permissions: ['prescriptions'] },
      });
    });

    it("sweeps out delegations past their end date, a practice's past review, and a child's at 16", async () => {
      const today = '2026-11-24';
      const adult = await person();
      const child = await person('2010-11-24');
      const youngerChild = await person('2012-06-01');
      const carer = await person();
      const ending = await invite(adult);
      await changeStatus(
        store.db,
        ending.id,
        { type: 'accept', bothProved: true },
        { kind: 'delegate' },
        { delegateId: carer },
      );
      await changeTerms(store.db, ending.id, { kind: 'grantor', id: adult }, { endsOn: '2026-11-23' });
      const practice = (base: { grantorId: string; reviewOn: string }) =>
        createPracticeDelegation(store.db, {
          ...base,
          delegateId: carer,
          relationship: 'Parent',
          permissions: ['appointments'],
          reason: 'Parent of a child under 16',
          forChild: true,
          odsCode: 'A81001',
          staffId: 'staff-1',
          bothProved: true,
        });
      const turned16 = await practice({ grantorId: child, reviewOn: '2027-06-01' });
      const stillChild = await practice({ grantorId: youngerChild, reviewOn: '2027-06-01' });
      expect(turned16.ok && stillChild.ok).toBe(true);

      const ended = await expireDue(store.db, today);
      const byId = new Map(ended.map((e) => [e.delegation.id, e.reason]));
      expect(byId.get(ending.id)).toBe('end-date');
      expect(turned16.ok && byId.get(turned16.value)).toBe('turned-16');
      expect(stillChild.ok && byId.has(stillChild.value)).toBe(false);
      // Running again ends nothing more.
      expect((await expireDue(store.db, today)).filter((e) => byId.has(e.delegation.id))).toEqual([]);
    });
  });
}

suite(
  'delegations store on embedded Postgres',
  () => openDatabase({}),
  () => Promise.resolve(),
);

if (onServer) {
  const schema = `delegations_test_${randomBytes(4).toString('hex')}`;
  suite(
    'delegations store on a PostgreSQL server',
    () => openDatabase({ url: POSTGRES_URL, schema }),
    () => dropSchema(schema),
  );
}
