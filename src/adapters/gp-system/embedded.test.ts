// The embedded simulated GP system: verifying GP online services details
// (one answer for every kind of wrong), locking after repeated wrong tries,
// and issuing new details as practice staff do.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadSyntheticPatients, type SyntheticPatient } from '../pds/synthetic.js';
import { createEmbeddedGpSystem, DEFAULT_LOCK_AFTER, type EmbeddedGpSystemOptions } from './embedded.js';
import { createGpSystem } from './index.js';
import { loadGpLinkages, type GpLinkageRecord } from './linkages.js';
import type { VerifyLinkageInput } from './port.js';

let linkages: GpLinkageRecord[];
let patients: SyntheticPatient[];

beforeAll(async () => {
  [linkages, patients] = await Promise.all([loadGpLinkages(), loadSyntheticPatients()]);
});

/** A GP system over the shipped data, loaded once per test from memory. */
const gpSystem = (options: EmbeddedGpSystemOptions = {}) =>
  createEmbeddedGpSystem({ linkages, patients, ...options });

/** Daniel Okafor, the seeded P9 test person. */
const OKAFOR: VerifyLinkageInput = {
  accountId: '1000000026',
  linkageKey: 'Xk9Dq2PvS7Lm3',
  odsCode: 'B82046',
  surname: 'Okafor',
  dateOfBirth: '1959-11-02',
};

describe('verifying GP online services details', () => {
  it('verifies the right details, returning the patient and the credentials to release', async () => {
    const result = await gpSystem().verifyLinkage(OKAFOR);
    expect(result).toEqual({
      kind: 'verified',
      patient: {
        nhsNumber: '9990000026',
        familyName: 'Okafor',
        givenNames: ['Daniel'],
        birthDate: '1959-11-02',
        postcode: 'M4 3AJ',
        odsCode: 'B82046',
      },
      credentials: { gp_user_id: '1000000026', gp_linkage_key: 'Xk9Dq2PvS7Lm3', gp_ods_code: 'B82046' },
    });
  });

  it('reads details as typed from a letter: spaces, a lower-case ODS code, a surname without its accent', async () => {
    const system = gpSystem();
    const okafor = await system.verifyLinkage({
      accountId: '1000 000 026',
      linkageKey: ' Xk9Dq 2PvS7 Lm3 ',
      odsCode: 'b82046',
    });
    expect(okafor.kind).toBe('verified');
    const lefevre = await system.verifyLinkage({
      accountId: '1000011036',
      linkageKey: 'Gm4Yz8KpQ3Vd6',
      odsCode: 'E85001',
      surname: 'LEFEVRE',
      dateOfBirth: '1941-09-05',
    });
    expect(lefevre.kind === 'verified' && lefevre.patient.familyName).toBe('Lefèvre');
  });

  it('verifies generated details from the data file', async () => {
    const system = gpSystem();
    for (const record of linkages.slice(3, 8)) {
      const result = await system.verifyLinkage(record);
      expect(result.kind === 'verified' && result.patient.nhsNumber).toBe(record.nhsNumber);
    }
  });

  it('gives the same answer whichever part is wrong', async () => {
    const wrong: [string, VerifyLinkageInput][] = [
      ['key', { ...OKAFOR, linkageKey: 'Xk9Dq2PvS7Lm4' }],
      ['key case', { ...OKAFOR, linkageKey: 'xk9dq2pvs7lm3' }],
      ['ODS code', { ...OKAFOR, odsCode: 'A81001' }],
      ['account ID', { ...OKAFOR, accountId: '1000000027' }],
      ['surname', { ...OKAFOR, surname: 'Okafo' }],
      ['date of birth', { ...OKAFOR, dateOfBirth: '1959-11-03' }],
      ['nonsense date', { ...OKAFOR, dateOfBirth: '02/11/1959' }],
      ['empty', { accountId: '', linkageKey: '', odsCode: '' }],
      ["someone else's key", { ...OKAFOR, linkageKey: 'Rb7Tn4WcH2Jf8' }],
    ];
    for (const [what, input] of wrong) {
      expect(await gpSystem().verifyLinkage(input), what).toEqual({ kind: 'not-verified' });
    }
  });

  it(`locks an Account ID after ${DEFAULT_LOCK_AFTER} wrong tries, even against the right details, and only that one`, async () => {
    const system = gpSystem();
    const wrongKey = { ...OKAFOR, linkageKey: 'WrongKey2345' };
    for (let i = 1; i < DEFAULT_LOCK_AFTER; i++) {
      expect(await system.verifyLinkage(wrongKey)).toEqual({ kind: 'not-verified' });
    }
    expect(await system.verifyLinkage(wrongKey)).toEqual({ kind: 'locked' });
    expect(await system.verifyLinkage(OKAFOR)).toEqual({ kind: 'locked' });
    // Another person's details still work.
    const ashworth = { accountId: '1000000018', linkageKey: 'Rb7Tn4WcH2Jf8', odsCode: 'A12345' };
    expect((await system.verifyLinkage(ashworth)).kind).toBe('verified');
  });

  it('counts wrong tries against unknown Account IDs too, so a lock says nothing about whether an account exists', async () => {
    const system = gpSystem({ lockAfter: 2 });
    const unknown = { accountId: '9999999999', linkageKey: 'Xk9Dq2PvS7Lm3', odsCode: 'B82046' };
    expect(await system.verifyLinkage(unknown)).toEqual({ kind: 'not-verified' });
    expect(await system.verifyLinkage(unknown)).toEqual({ kind: 'locked' });
  });

  it('forgets wrong tries after the right details, and lifts a lock when its period ends', async () => {
    let clock = 1_000_000;
    const system = gpSystem({ lockAfter: 2, lockForMs: 60_000, now: () => clock });
    const wrongKey = { ...OKAFOR, linkageKey: 'WrongKey2345' };
    expect(await system.verifyLinkage(wrongKey)).toEqual({ kind: 'not-verified' });
    expect((await system.verifyLinkage(OKAFOR)).kind).toBe('verified');
    expect(await system.verifyLinkage(wrongKey)).toEqual({ kind: 'not-verified' });
    expect(await system.verifyLinkage(wrongKey)).toEqual({ kind: 'locked' });
    clock += 59_999;
    expect(await system.verifyLinkage(OKAFOR)).toEqual({ kind: 'locked' });
    clock += 1;
    expect((await system.verifyLinkage(OKAFOR)).kind).toBe('verified');
  });
});

describe('issuing GP online services details', () => {
  it('issues details to a registered patient who has none, which then verify', async () => {
    const system = gpSystem();
    const withDetails = new Set(linkages.map((l) => l.nhsNumber));
    const person = patients.find(
      (p) => p.gp && !p.deceased && !p.restricted && !withDetails.has(p.nhsNumber),
    )!;
    const issued = await system.issueLinkage({
      nhsNumber: person.nhsNumber,
      odsCode: person.gp!.toLowerCase(),
    });
    if (issued.kind !== 'issued') throw new Error(`expected issued, got ${issued.kind}`);
    expect(issued.replaced).toBe(false);
    expect(issued.details.accountId).toMatch(/^[2-9]\d{9}$/);
    expect(issued.details.linkageKey).toMatch(/^[A-HJ-NP-Za-km-z2-9]{13}$/);
    expect(issued.details.odsCode).toBe(person.gp);
    expect(issued.patient.nhsNumber).toBe(person.nhsNumber);
    expect(linkages.some((l) => l.accountId === issued.details.accountId)).toBe(false);

    const verified = await system.verifyLinkage({
      ...issued.details,
      surname: person.family,
      dateOfBirth: person.birthDate,
    });
    expect(verified.kind === 'verified' && verified.patient.nhsNumber).toBe(person.nhsNumber);
    // Issued details live in that process only.
    expect((await gpSystem().verifyLinkage(issued.details)).kind).toBe('not-verified');
  });

  it('issuing again keeps the Account ID, replaces the key (the old one stops working) and lifts a lock', async () => {
    const system = gpSystem({ lockAfter: 1 });
    expect(await system.verifyLinkage({ ...OKAFOR, linkageKey: 'WrongKey2345' })).toEqual({ kind: 'locked' });
    const issued = await system.issueLinkage({ nhsNumber: '999 000 0026', odsCode: 'B82046' });
    if (issued.kind !== 'issued') throw new Error(`expected issued, got ${issued.kind}`);
    expect(issued.replaced).toBe(true);
    expect(issued.details.accountId).toBe('1000000026');
    expect(issued.details.linkageKey).not.toBe('Xk9Dq2PvS7Lm3');
    expect((await system.verifyLinkage({ ...OKAFOR, linkageKey: issued.details.linkageKey })).kind).toBe(
      'verified',
    );
    expect(await system.verifyLinkage(OKAFOR)).toEqual({ kind: 'locked' });
  });

  it('refuses a patient not registered at that practice, an unknown or invalid NHS number, and the deceased', async () => {
    const system = gpSystem();
    const deceased = patients.find((p) => p.deceased && p.gp)!;
    expect(await system.issueLinkage({ nhsNumber: '9990000026', odsCode: 'A81001' })).toEqual({
      kind: 'not-registered',
    });
    expect(await system.issueLinkage({ nhsNumber: '9990000034', odsCode: 'B82046' })).toEqual({
      kind: 'not-registered',
    });
    expect(await system.issueLinkage({ nhsNumber: '1234567890', odsCode: 'B82046' })).toEqual({
      kind: 'not-registered',
    });
    expect(await system.issueLinkage({ nhsNumber: deceased.nhsNumber, odsCode: deceased.gp! })).toEqual({
      kind: 'not-registered',
    });
  });
});

describe('loading', () => {
  it('loads the shipped files by default (createGpSystem without a base URL) and reports what it holds', async () => {
    const system = createEmbeddedGpSystem();
    expect(await system.ready()).toEqual({
      linkages: linkages.length,
      registeredPatients: expect.any(Number),
    });
    expect((await createGpSystem().verifyLinkage(OKAFOR)).kind).toBe('verified');
  });

  it('fails at start-up, not at the first person, when the data points at nobody', async () => {
    const broken = createEmbeddedGpSystem({
      linkages: [{ ...linkages[0]!, odsCode: 'A81001' }],
      patients,
    });
    await expect(broken.ready()).rejects.toThrow(/registered at B82046/);
  });
});
