import { describe, expect, it } from 'vitest';
import type { PatientSummary, PdsReadResult } from '../../adapters/pds/index.js';
import { recheckVerdict } from './recheck.js';

const record: PatientSummary = {
  nhsNumber: '9990011044',
  previousNhsNumbers: [],
  familyName: 'Hall',
  givenNames: ['Siân', 'Kate'],
  birthDate: '1938-03-15',
  deceased: false,
  addressLines: [],
  postcode: 'EH3 9GW',
  restricted: false,
};
const found = (patient: Partial<PatientSummary> = {}): PdsReadResult => ({
  kind: 'found',
  patient: { ...record, ...patient },
});
const stored = { family_name: 'Hall', given_name: 'Siân Kate', birthdate: '1938-03-15' };

describe('recheckVerdict', () => {
  it('holds while the record still says what was proved, however the names are written', () => {
    expect(recheckVerdict(stored, found())).toBe('holds');
    expect(recheckVerdict({ ...stored, given_name: 'sian' }, found())).toBe('holds');
    expect(recheckVerdict({ ...stored, family_name: 'HALL' }, found())).toBe('holds');
    // What the account does not hold is not compared.
    expect(recheckVerdict({ family_name: null, given_name: null, birthdate: null }, found())).toBe('holds');
    // A move is not a reason: the postcode is not re-checked.
    expect(recheckVerdict(stored, found({ postcode: 'LS1 4AP' }))).toBe('holds');
  });

  it('suspends a superseded number, a record gone, or a person recorded as having died', () => {
    expect(
      recheckVerdict(stored, {
        kind: 'superseded',
        requestedNhsNumber: '9990022003',
        currentNhsNumber: record.nhsNumber,
        patient: record,
      }),
    ).toBe('superseded');
    expect(recheckVerdict(stored, { kind: 'not-found' })).toBe('not-found');
    expect(recheckVerdict(stored, found({ deceased: true, deceasedDateTime: '2020-01-01' }))).toBe(
      'deceased',
    );
  });

  it('suspends when a name or the date of birth no longer match', () => {
    expect(recheckVerdict(stored, found({ familyName: 'Brown' }))).toBe('details-changed');
    expect(recheckVerdict(stored, found({ givenNames: ['Kate'] }))).toBe('details-changed');
    expect(recheckVerdict(stored, found({ birthDate: '1938-03-16' }))).toBe('details-changed');
    expect(recheckVerdict(stored, found({ familyName: undefined }))).toBe('details-changed');
  });
});
