import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TEST_PEOPLE } from '../../cli/seed.js';
import { isValidNhsNumber } from '../../domain/nhs-number.js';
import { normalisePostcode } from '../../domain/demographics-match.js';
import { fromFhirPatient, toFhirPatient } from './fhir.js';
import { NHS_NUMBER_SYSTEM, ODS_CODE_SYSTEM } from './port.js';
import {
  DEFAULT_SYNTHETIC_DATA_FILE,
  generateSyntheticPatients,
  GP_PRACTICES,
  parseSyntheticPatients,
  serialiseSyntheticPatients,
  type SyntheticPatient,
} from './synthetic.js';

const fileText = readFileSync(DEFAULT_SYNTHETIC_DATA_FILE, 'utf8');
const people = parseSyntheticPatients(fileText);
const REFERENCE = Date.UTC(2025, 0, 1);
const ageOf = (p: SyntheticPatient) =>
  (REFERENCE - Date.parse(`${p.birthDate}T00:00:00Z`)) / (365.25 * 86_400_000);

describe('the synthetic national record (fixtures/pds/synthetic-patients.ndjson)', () => {
  it('is what the generator makes from its fixed seed (regenerate with npm run pds:generate)', () => {
    expect(serialiseSyntheticPatients(generateSyntheticPatients())).toBe(fileText);
  });

  it('stays small enough to commit', () => {
    expect(Buffer.byteLength(fileText)).toBeLessThan(400_000);
  });

  it('holds at least 1,000 people with valid, unique test NHS numbers, superseded ones included', () => {
    expect(people.length).toBeGreaterThanOrEqual(1_000);
    const numbers = people.flatMap((p) => [p.nhsNumber, ...(p.superseded ?? [])]);
    expect(new Set(numbers).size).toBe(numbers.length);
    for (const n of numbers) {
      expect(isValidNhsNumber(n), n).toBe(true);
      expect(n.startsWith('999'), n).toBe(true);
    }
  });

  it('includes the named test people of src/cli/seed.ts exactly', () => {
    const named = TEST_PEOPLE.filter((t) => t.nhsNumber);
    expect(named.map((t) => t.email)).toEqual(['p5.patient@example.com', 'p9.patient@example.com']);
    for (const t of named) {
      const p = people.find((x) => x.nhsNumber === t.nhsNumber);
      expect(p, t.email).toBeDefined();
      expect(p).toMatchObject({
        family: t.familyName,
        given: [t.givenName],
        birthDate: t.birthdate,
        gp: t.gpOdsCode,
        email: t.email,
        phone: t.phone,
      });
      expect(p?.deceased).toBeUndefined();
      expect(p?.superseded).toBeUndefined();
      // Nobody else shares their name and date of birth, so their P5 match is unique.
      expect(people.filter((x) => x.family === p?.family && x.birthDate === p.birthDate)).toHaveLength(1);
    }
  });

  it('has valid-format postcodes, dates and GP practices (including A81001 and B82002)', () => {
    expect(GP_PRACTICES).toEqual(expect.arrayContaining(['A81001', 'B82002']));
    const practices = new Set(people.map((p) => p.gp));
    expect(practices).toContain('A81001');
    expect(practices).toContain('B82002');
    for (const p of people) {
      for (const a of p.addresses) expect(normalisePostcode(a.postcode), a.postcode).toBeDefined();
      expect(p.addresses.filter((a) => a.to === undefined)).toHaveLength(1);
      expect(p.addresses[0]?.to).toBeUndefined();
      if (p.deceased) expect(p.deceased.slice(0, 10) >= p.birthDate).toBe(true);
    }
  });

  it('has children under 16, people over 90, and names with accents, hyphens and apostrophes', () => {
    expect(people.filter((p) => ageOf(p) < 16).length).toBeGreaterThan(100);
    expect(people.filter((p) => ageOf(p) > 90).length).toBeGreaterThan(10);
    const names = people.flatMap((p) => [p.family, ...p.given]);
    expect(names.some((n) => /[\u00C0-\u017F]/u.test(n))).toBe(true);
    expect(names).toContain('Zoë');
    expect(names).toContain("O'Brien");
    expect(names).toContain('Smith-Jones');
    expect(people.some((p) => p.given.length > 1)).toBe(true);
  });

  it('has deceased people, superseded numbers, restricted records and people who moved', () => {
    expect(people.filter((p) => p.deceased).length).toBeGreaterThanOrEqual(10);
    expect(people.filter((p) => p.superseded).length).toBeGreaterThanOrEqual(10);
    expect(people.filter((p) => p.restricted).length).toBeGreaterThanOrEqual(5);
    expect(people.filter((p) => p.addresses.length > 1).length).toBeGreaterThanOrEqual(50);
  });

  it('has people sharing a name and date of birth, mostly at different postcodes', () => {
    const groups = new Map<string, SyntheticPatient[]>();
    for (const p of people) {
      const key = `${p.family}|${p.given.join(' ')}|${p.birthDate}`;
      groups.set(key, [...(groups.get(key) ?? []), p]);
    }
    const shared = [...groups.values()].filter((g) => g.length > 1);
    const samePostcode = shared.filter((g) => new Set(g.map((p) => p.addresses[0]?.postcode)).size === 1);
    expect(shared.length).toBeGreaterThanOrEqual(10);
    expect(samePostcode.length).toBeGreaterThanOrEqual(2);
    expect(shared.length - samePostcode.length).toBeGreaterThanOrEqual(10);
  });

  it('is deterministic and changes with the seed', () => {
    expect(generateSyntheticPatients(7, 50)).toEqual(generateSyntheticPatients(7, 50));
    expect(generateSyntheticPatients(8, 50)).not.toEqual(generateSyntheticPatients(7, 50));
  });

  it('refuses a file with a bad line', () => {
    expect(() => parseSyntheticPatients('{"nhsNumber":"9990000019"}\n')).toThrow(/line 1/);
  });
});

describe('synthetic people as FHIR Patients', () => {
  const today = '2026-01-01';

  it('are written as PDS writes them and read back', () => {
    const priya = people[0]!;
    const fhir = toFhirPatient(priya);
    expect(fhir).toMatchObject({
      resourceType: 'Patient',
      id: '9990000018',
      identifier: [{ system: NHS_NUMBER_SYSTEM, value: '9990000018' }],
      name: [{ use: 'usual', family: 'Ashworth', given: ['Priya'] }],
      birthDate: '1984-03-17',
      address: [{ use: 'home', postalCode: 'LS1 5HD', period: { start: '2016-08-01' } }],
      generalPractitioner: [{ identifier: { system: ODS_CODE_SYSTEM, value: 'A12345' } }],
      meta: { versionId: '1' },
    });
    expect(fromFhirPatient(fhir, { today })).toEqual({
      nhsNumber: '9990000018',
      previousNhsNumbers: [],
      versionId: '1',
      familyName: 'Ashworth',
      givenNames: ['Priya'],
      gender: 'female',
      birthDate: '1984-03-17',
      deceased: false,
      addressLines: ['14 Park Row', 'Leeds'],
      postcode: 'LS1 5HD',
      phone: '+447700900005',
      email: 'p5.patient@example.com',
      gpOdsCode: 'A12345',
      restricted: false,
    });
  });

  it('keep the current home address, not a previous one', () => {
    const moved = people.find((p) => p.addresses.length > 1)!;
    const summary = fromFhirPatient(toFhirPatient(moved), { today });
    expect(summary?.postcode).toBe(moved.addresses[0]?.postcode);
    expect(toFhirPatient(moved).address).toHaveLength(2);
  });

  it('carry the date of death', () => {
    const dead = people.find((p) => p.deceased)!;
    expect(fromFhirPatient(toFhirPatient(dead), { today })).toMatchObject({
      deceased: true,
      deceasedDateTime: dead.deceased,
    });
  });

  it('withhold a restricted person’s address, contacts and GP, as PDS does', () => {
    const restricted = people.find((p) => p.restricted)!;
    const fhir = toFhirPatient(restricted);
    expect(fhir.address).toBeUndefined();
    expect(fhir.telecom).toBeUndefined();
    expect(fhir.generalPractitioner).toBeUndefined();
    expect(fromFhirPatient(fhir, { today })).toMatchObject({ restricted: true, addressLines: [] });
    expect(fromFhirPatient(fhir, { today })?.postcode).toBeUndefined();
  });
});
