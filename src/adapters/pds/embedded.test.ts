import { describe, expect, it } from 'vitest';
import { matchOne, normaliseClaim, type DemographicClaimInput } from '../../domain/demographics-match.js';
import { createEmbeddedDemographics } from './embedded.js';
import { createDemographics } from './index.js';
import type { Demographics } from './port.js';
import { loadSyntheticPatients, type SyntheticPatient } from './synthetic.js';

const pds = createEmbeddedDemographics({ today: () => '2026-01-01' });
const people = await loadSyntheticPatients();

function value<T>(result: { ok: true; value: T } | { ok: false; error: unknown }): T {
  if (!result.ok) throw new Error(`expected ok, got ${JSON.stringify(result.error)}`);
  return result.value;
}

const byKey = (p: SyntheticPatient) => `${p.family}|${p.given.join(' ')}|${p.birthDate}`;
const sharing = (() => {
  const groups = new Map<string, SyntheticPatient[]>();
  for (const p of people) groups.set(byKey(p), [...(groups.get(byKey(p)) ?? []), p]);
  return [...groups.values()].filter((g) => g.length > 1);
})();
const namesakesElsewhere = sharing.find(
  (g) => g[0]?.addresses[0]?.postcode !== g[1]?.addresses[0]?.postcode,
)!;
const namesakesSamePostcode = sharing.find(
  (g) => g[0]?.addresses[0]?.postcode === g[1]?.addresses[0]?.postcode,
)!;
const dead = people.find((p) => p.deceased && !sharing.flat().includes(p))!;
const merged = people.find((p) => p.superseded)!;
const moved = people.find((p) => p.addresses.length > 1 && !p.restricted && !sharing.flat().includes(p))!;
const restricted = people.find((p) => p.restricted)!;

const claimFor = (p: SyntheticPatient, changes: Partial<DemographicClaimInput> = {}) => {
  const claim = normaliseClaim({
    familyName: p.family,
    givenName: p.given[0]!,
    birthDate: p.birthDate,
    postcode: p.addresses[0]!.postcode,
    ...changes,
  });
  if (!claim.ok) throw new Error(JSON.stringify(claim.error));
  return claim.value;
};

/** The proving journey's two steps: ask PDS, then let the domain's rules decide. */
async function prove(
  demographics: Demographics,
  p: SyntheticPatient,
  changes: Partial<DemographicClaimInput> = {},
) {
  const claim = claimFor(p, changes);
  const found = value(
    await demographics.search(
      claim.nhsNumber
        ? { nhsNumber: claim.nhsNumber }
        : {
            familyName: changes.familyName ?? p.family,
            givenNames: [changes.givenName ?? p.given[0]!],
            birthDate: claim.birthDate,
            postcode: changes.postcode ?? p.addresses[0]!.postcode,
          },
    ),
  );
  return matchOne(found, claim);
}

describe('embedded PDS: read', () => {
  it('loads the whole record once', async () => {
    expect(await pds.ready()).toEqual({
      patients: people.length,
      supersededNumbers: people.flatMap((p) => p.superseded ?? []).length,
    });
  });

  it('finds a person by NHS number', async () => {
    expect(value(await pds.read('9990000018'))).toMatchObject({
      kind: 'found',
      patient: {
        nhsNumber: '9990000018',
        familyName: 'Ashworth',
        givenNames: ['Priya'],
        gpOdsCode: 'A12345',
      },
    });
  });

  it('accepts the number spaced as on a letter', async () => {
    expect(value(await pds.read('999 000 0026'))).toMatchObject({
      kind: 'found',
      patient: { familyName: 'Okafor' },
    });
  });

  it('says not found for a valid number nobody has', async () => {
    expect(value(await pds.read('9999999999'))).toEqual({ kind: 'not-found' });
  });

  it('refuses an invalid number as PDS does (400 INVALID_RESOURCE_ID), not as not-found', async () => {
    expect(await pds.read('9990000019')).toMatchObject({
      ok: false,
      error: { kind: 'rejected', reason: 'invalid-request', code: 'INVALID_RESOURCE_ID' },
    });
  });

  it('follows a superseded number to the current record', async () => {
    const old = merged.superseded![0]!;
    expect(value(await pds.read(old))).toMatchObject({
      kind: 'superseded',
      requestedNhsNumber: old,
      currentNhsNumber: merged.nhsNumber,
      patient: { nhsNumber: merged.nhsNumber, previousNhsNumbers: [old], familyName: merged.family },
    });
  });

  it('carries the deceased flag and date', async () => {
    expect(value(await pds.read(dead.nhsNumber))).toMatchObject({
      kind: 'found',
      patient: { deceased: true, deceasedDateTime: dead.deceased },
    });
  });
});

describe('embedded PDS: search', () => {
  it('finds one person by family name, given name, date of birth and postcode', async () => {
    const result = value(
      await pds.search({
        familyName: 'Ashworth',
        givenNames: ['Priya'],
        birthDate: '1984-03-17',
        postcode: 'LS1 5HD',
      }),
    );
    expect(result.tooManyMatches).toBe(false);
    expect(result.patients.map((p) => [p.nhsNumber, p.score])).toEqual([['9990000018', 1]]);
  });

  it('ignores case, accents, spacing and punctuation as the domain does', async () => {
    const result = value(
      await pds.search({
        familyName: 'ASHWORTH',
        givenNames: ['priya'],
        birthDate: '1984-03-17',
        postcode: 'ls15hd',
      }),
    );
    expect(result.patients.map((p) => p.nhsNumber)).toEqual(['9990000018']);
  });

  it('allows prefixes with *, as a PDS non-fuzzy search does', async () => {
    const result = value(
      await pds.search({
        familyName: 'Ash*',
        givenNames: ['Pri*'],
        birthDate: '1984-03-17',
        postcode: 'LS*',
      }),
    );
    expect(result.patients.map((p) => p.nhsNumber)).toEqual(['9990000018']);
  });

  it('finds nobody when any field differs', async () => {
    for (const change of [
      { birthDate: '1984-03-18' },
      { givenNames: ['Pria'] },
      { familyName: 'Ashwood' },
      { postcode: 'LS1 5HE' },
    ]) {
      const query = {
        familyName: 'Ashworth',
        givenNames: ['Priya'],
        birthDate: '1984-03-17',
        postcode: 'LS1 5HD',
      };
      expect(value(await pds.search({ ...query, ...change })).patients, JSON.stringify(change)).toEqual([]);
    }
  });

  it('needs at least a family name and a date of birth (400 INVALID_SEARCH_DATA)', async () => {
    expect(await pds.search({ familyName: 'Ashworth' })).toMatchObject({
      ok: false,
      error: { kind: 'rejected', code: 'INVALID_SEARCH_DATA' },
    });
    expect(await pds.search({ familyName: 'Ashworth', birthDate: '17/03/1984' })).toMatchObject({
      ok: false,
    });
  });

  it('returns several namesakes only when asked for more than one, and too many otherwise', async () => {
    const [a] = namesakesElsewhere;
    const query = { familyName: a!.family, givenNames: [a!.given[0]!], birthDate: a!.birthDate };
    expect(value(await pds.search(query))).toEqual({ patients: [], tooManyMatches: true });
    const several = value(await pds.search({ ...query, maxResults: 10 }));
    expect(several.tooManyMatches).toBe(false);
    expect(several.patients.map((p) => p.nhsNumber).sort()).toEqual(
      namesakesElsewhere.map((p) => p.nhsNumber).sort(),
    );
  });

  it('finds the record by a previous postcode only when searching history', async () => {
    const old = moved.addresses[1]!.postcode;
    const query = { familyName: moved.family, birthDate: moved.birthDate, postcode: old };
    expect(value(await pds.search(query)).patients).toEqual([]);
    expect(value(await pds.search({ ...query, history: true })).patients.map((p) => p.nhsNumber)).toEqual([
      moved.nhsNumber,
    ]);
  });

  it('never returns a restricted record to a search on postcode, as PDS does', async () => {
    const query = { familyName: restricted.family, birthDate: restricted.birthDate };
    expect(value(await pds.search(query)).patients.map((p) => p.nhsNumber)).toEqual([restricted.nhsNumber]);
    const withPostcode = { ...query, postcode: restricted.addresses[0]!.postcode };
    expect(value(await pds.search(withPostcode)).patients).toEqual([]);
  });

  it('finds by NHS number whatever the other details, following a supersession', async () => {
    const old = merged.superseded![0]!;
    const result = value(await pds.search({ nhsNumber: old, familyName: 'Nobody' }));
    expect(result.patients.map((p) => [p.nhsNumber, p.previousNhsNumbers])).toEqual([
      [merged.nhsNumber, [old]],
    ]);
    expect(value(await pds.search({ nhsNumber: '9999999999' })).patients).toEqual([]);
  });
});

describe('embedded PDS with the matching rules (P5)', () => {
  it('matches the named P5 test person', async () => {
    const priya = people.find((p) => p.nhsNumber === '9990000018')!;
    const result = await prove(pds, priya, { postcode: 'ls15hd', familyName: 'ashworth' });
    expect(result.ok && result.value.nhsNumber).toBe('9990000018');
  });

  it('matches the named P9 test person by NHS number', async () => {
    const daniel = people.find((p) => p.nhsNumber === '9990000026')!;
    const result = await prove(pds, daniel, { nhsNumber: '999 000 0026' });
    expect(result.ok && result.value.nhsNumber).toBe('9990000026');
  });

  it('is no-match for a wrong date of birth', async () => {
    const priya = people[0]!;
    expect(await prove(pds, priya, { birthDate: '1984-03-18' })).toEqual({ ok: false, error: 'no-match' });
  });

  it('is no-match for a right NHS number with a wrong name', async () => {
    const priya = people[0]!;
    expect(await prove(pds, priya, { nhsNumber: '9990000018', givenName: 'Daniel' })).toEqual({
      ok: false,
      error: 'no-match',
    });
  });

  it('tells namesakes apart by postcode', async () => {
    for (const p of namesakesElsewhere) {
      const result = await prove(pds, p);
      expect(result.ok && result.value.nhsNumber).toBe(p.nhsNumber);
    }
  });

  it('is ambiguous for namesakes at the same postcode, unless the NHS number is given', async () => {
    const [a] = namesakesSamePostcode;
    expect(await prove(pds, a!)).toEqual({ ok: false, error: 'ambiguous' });
    const result = await prove(pds, a!, { nhsNumber: a!.nhsNumber });
    expect(result.ok && result.value.nhsNumber).toBe(a!.nhsNumber);
  });

  it('is deceased for a person who has died', async () => {
    expect(await prove(pds, dead)).toEqual({ ok: false, error: 'deceased' });
  });

  it('follows a superseded NHS number to the current one', async () => {
    const old = merged.superseded![0]!;
    expect(await prove(pds, merged, { nhsNumber: old })).toMatchObject({
      ok: true,
      value: { nhsNumber: merged.nhsNumber, supersededNhsNumber: old },
    });
  });

  it('is no-match for a previous address', async () => {
    expect(await prove(pds, moved, { postcode: moved.addresses[1]!.postcode })).toEqual({
      ok: false,
      error: 'no-match',
    });
  });
});

describe('createDemographics', () => {
  it('is the embedded record by default', async () => {
    const demographics = createDemographics();
    expect(value(await demographics.read('9990000018'))).toMatchObject({ kind: 'found' });
  });

  it('takes another data file', async () => {
    const demographics = createDemographics({ dataFile: '/nonexistent/pds.ndjson' });
    await expect(demographics.read('9990000018')).rejects.toThrow(/ENOENT/);
  });
});
