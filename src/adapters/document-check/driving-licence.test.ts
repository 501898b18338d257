import { describe, expect, it } from 'vitest';

import { documentRejection } from '../../domain/photo-id.js';
import {
  checkLicenceNumber,
  licenceEvidence,
  licenceSurnameCode,
  type TypedLicenceDetails,
} from './driving-licence.js';

// The DVLA's specimen photocard: Sarah Meredyth Morgan, born 11 March 1976,
// licence number MORGA753116SM9IJ (issue number 35 after it on the card).
const SPECIMEN: TypedLicenceDetails = {
  familyName: 'Morgan',
  givenNames: ['Sarah', 'Meredyth'],
  birthDate: '1976-03-11',
  expiryDate: '2030-01-08',
  licenceNumber: 'MORGA753116SM9IJ 35',
  issuingState: 'GBR',
};

const specimen = (changes: Partial<TypedLicenceDetails>): TypedLicenceDetails => ({
  ...SPECIMEN,
  ...changes,
});

describe('licenceSurnameCode', () => {
  it.each([
    ['Morgan', 'MORGA'],
    ['Fox', 'FOX99'],
    ['MacDonald', 'MCDON'],
    ["O'Brien", 'OBRIE'],
    ['Smith-Jones', 'SMITH'],
    ['Núñez', 'NUNEZ'],
  ])('%s is %s', (surname, code) => {
    expect(licenceSurnameCode(surname)).toBe(code);
  });
});

describe('checkLicenceNumber', () => {
  it('agrees with the DVLA specimen, with or without the issue number and spaces', () => {
    expect(checkLicenceNumber(SPECIMEN)).toEqual({ kind: 'gb', number: 'MORGA753116SM9IJ', problems: [] });
    expect(checkLicenceNumber(specimen({ licenceNumber: 'morga 753116 sm9ij' }))).toMatchObject({
      problems: [],
    });
  });

  it('takes the month without the +50 too (the record does not say who is a woman)', () => {
    expect(checkLicenceNumber(specimen({ licenceNumber: 'MORGA703116SM9IJ' }))).toMatchObject({
      problems: [],
    });
  });

  it('names what disagrees', () => {
    expect(checkLicenceNumber(specimen({ familyName: 'Jones' }))).toMatchObject({ problems: ['surname'] });
    expect(checkLicenceNumber(specimen({ birthDate: '1976-03-12' }))).toMatchObject({
      problems: ['birth-date'],
    });
    expect(checkLicenceNumber(specimen({ birthDate: '1986-03-11' }))).toMatchObject({
      problems: ['birth-date'],
    });
    expect(checkLicenceNumber(specimen({ givenNames: ['Sarah'] }))).toMatchObject({ problems: ['initials'] });
    expect(checkLicenceNumber(specimen({ licenceNumber: 'MORGA7531-6SM9IJ' }))).toMatchObject({
      problems: ['format'],
    });
  });

  it('recognises a Northern Ireland number, which has nothing to check', () => {
    expect(checkLicenceNumber(specimen({ licenceNumber: '12345678' }))).toEqual({
      kind: 'northern-ireland',
      number: '12345678',
    });
    expect(checkLicenceNumber(specimen({ licenceNumber: 'ABC' }))).toEqual({ kind: 'unrecognised' });
  });
});

describe('licenceEvidence', () => {
  it('makes evidence the domain accepts, typed by the person, with the number as its check', () => {
    const evidence = licenceEvidence(SPECIMEN);
    expect(evidence).toEqual({
      identity: { kind: 'driving-licence', issuingState: 'GBR' },
      details: {
        familyName: 'Morgan',
        givenNames: ['Sarah', 'Meredyth'],
        birthDate: '1976-03-11',
        expiryDate: '2030-01-08',
        documentNumber: 'MORGA753116SM9IJ',
        issuingState: 'GBR',
      },
      source: 'typed-by-person',
      integrity: { valid: true },
    });
    expect(documentRejection(evidence.identity)).toBeUndefined();
  });

  it('fails the check when the number disagrees, and has none for other licences', () => {
    expect(licenceEvidence(specimen({ birthDate: '1976-03-12' })).integrity).toEqual({
      valid: false,
      problems: ['licence number: birth-date'],
    });
    expect(licenceEvidence(specimen({ licenceNumber: '12345678' })).integrity).toBeUndefined();
    const french = licenceEvidence(specimen({ issuingState: 'fra', licenceNumber: '12AB34567' }));
    expect(french.integrity).toBeUndefined();
    expect(documentRejection(french.identity)).toBeUndefined();
    expect(documentRejection(licenceEvidence(specimen({ issuingState: 'USA' })).identity)).toBe(
      'issuer-not-accepted',
    );
  });
});
