// The simulated GP system's data file: enough details, all pointing at real
// synthetic patients at their own practice, and exactly what the generator makes.
import { readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { isValidNhsNumber } from '../../domain/nhs-number.js';
import { loadSyntheticPatients, type SyntheticPatient } from '../pds/synthetic.js';
import { linkageFingerprint, normaliseLinkageDetails, toCredentials } from './details.js';
import {
  DEFAULT_GP_LINKAGES_FILE,
  generateGpLinkages,
  GP_LINKAGE_SEED,
  joinGpLinkages,
  loadGpLinkages,
  NAMED_GP_LINKAGES,
  parseGpLinkages,
  serialiseGpLinkages,
  type GpLinkageRecord,
} from './linkages.js';

let records: GpLinkageRecord[];
let patients: SyntheticPatient[];

beforeAll(async () => {
  [records, patients] = await Promise.all([loadGpLinkages(), loadSyntheticPatients()]);
});

describe('the linkages data file', () => {
  it('holds at least 200 sets of details, each for a living synthetic patient at the practice they are registered with', () => {
    expect(records.length).toBeGreaterThanOrEqual(200);
    const byNumber = new Map(patients.map((p) => [p.nhsNumber, p]));
    for (const r of records) {
      const person = byNumber.get(r.nhsNumber);
      expect(person, r.nhsNumber).toBeDefined();
      expect(person?.gp).toBe(r.odsCode);
      expect(person?.deceased).toBeUndefined();
      expect(isValidNhsNumber(r.nhsNumber)).toBe(true);
    }
    // joinGpLinkages makes the same checks, and more, at load time.
    expect(joinGpLinkages(records, patients).entries).toHaveLength(records.length);
  });

  it('gives each Account ID, and each patient at a practice, one set of details', () => {
    expect(new Set(records.map((r) => r.accountId)).size).toBe(records.length);
    expect(new Set(records.map((r) => `${r.odsCode}/${r.nhsNumber}`)).size).toBe(records.length);
    expect(new Set(records.map((r) => linkageFingerprint(r))).size).toBe(records.length);
  });

  it('has EMIS-like formats: 10-digit Account IDs and 13-character Linkage Keys without look-alike characters', () => {
    for (const r of records) {
      expect(r.accountId).toMatch(/^[1-9]\d{9}$/);
      expect(r.linkageKey).toMatch(/^[A-HJ-NP-Za-km-z2-9]{13}$/);
    }
  });

  it('includes the named examples, the seeded P9 test person first', () => {
    expect(records.slice(0, NAMED_GP_LINKAGES.length)).toEqual(
      NAMED_GP_LINKAGES.map(({ note: _note, ...r }) => r),
    );
    expect(records[0]).toEqual({
      accountId: '1000000026',
      linkageKey: 'Xk9Dq2PvS7Lm3',
      odsCode: 'B82046',
      nhsNumber: '9990000026',
    });
    const p9 = patients.find((p) => p.email === 'p9.patient@example.com');
    expect(p9?.nhsNumber).toBe('9990000026');
  });

  it('agrees with its generator (run `npm run gp:generate` after changing either it or the synthetic record)', async () => {
    const text = await readFile(DEFAULT_GP_LINKAGES_FILE, 'utf8');
    expect(text).toBe(serialiseGpLinkages(generateGpLinkages(patients, GP_LINKAGE_SEED)));
    expect(serialiseGpLinkages(generateGpLinkages(patients))).toBe(text);
    expect(generateGpLinkages(patients, GP_LINKAGE_SEED + 1)).not.toEqual(records);
  });

  it('leaves restricted and deceased patients and about one in four others without details', () => {
    const withDetails = new Set(records.map((r) => r.nhsNumber));
    for (const p of patients.filter((p) => p.restricted || p.deceased)) {
      expect(withDetails.has(p.nhsNumber)).toBe(false);
    }
    const eligible = patients.filter((p) => p.gp && !p.restricted && !p.deceased).length;
    expect(records.length / eligible).toBeGreaterThan(0.65);
    expect(records.length / eligible).toBeLessThan(0.85);
  });

  it('fails loudly on a bad line or a record that points nowhere', () => {
    expect(() => parseGpLinkages('{"accountId":"12"}\n')).toThrow(/line 1/);
    const stranger = {
      accountId: '2000000000',
      linkageKey: 'Abcdefgh2345',
      odsCode: 'A81001',
      nhsNumber: '9990000034',
    };
    expect(() => joinGpLinkages([stranger], patients)).toThrow(/not a registered patient/);
    const wrongPractice = { ...records[0]!, odsCode: 'A81001' };
    expect(() => joinGpLinkages([wrongPractice], patients)).toThrow(/registered at B82046/);
    expect(() => joinGpLinkages([records[0]!, records[0]!], patients)).toThrow(/twice/);
  });
});

describe('details', () => {
  it('are read the way a GP system reads them: spaces dropped, ODS code upper case, key case kept', () => {
    expect(
      normaliseLinkageDetails({
        accountId: ' 1000 000 026 ',
        linkageKey: 'Xk9D q2Pv S7Lm3',
        odsCode: ' b82046',
      }),
    ).toEqual({ accountId: '1000000026', linkageKey: 'Xk9Dq2PvS7Lm3', odsCode: 'B82046' });
    expect(
      linkageFingerprint({ accountId: '1000000026', linkageKey: 'Xk9Dq2PvS7Lm3', odsCode: 'b82046' }),
    ).toBe(linkageFingerprint({ accountId: '1000 000 026', linkageKey: 'Xk9Dq2PvS7Lm3', odsCode: 'B82046' }));
    expect(
      linkageFingerprint({ accountId: '1000000026', linkageKey: 'xk9Dq2PvS7Lm3', odsCode: 'B82046' }),
    ).not.toBe(
      linkageFingerprint({ accountId: '1000000026', linkageKey: 'Xk9Dq2PvS7Lm3', odsCode: 'B82046' }),
    );
  });

  it('become the gp_integration_credentials claim', () => {
    expect(
      toCredentials({ accountId: '1000000026', linkageKey: 'Xk9Dq2PvS7Lm3', odsCode: 'B82046' }),
    ).toEqual({
      gp_user_id: '1000000026',
      gp_linkage_key: 'Xk9Dq2PvS7Lm3',
      gp_ods_code: 'B82046',
    });
  });
});
