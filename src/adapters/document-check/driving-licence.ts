// Photocard driving licences have no machine readable zone. The person types
// what is printed on the card (name, date of birth, expiry date in field 4b,
// licence number in field 5), and for a licence from Great Britain the number
// itself can be checked against the rest: the DVLA builds it from the
// holder's surname, date of birth and initials.
//
//   MORGA 7 53 11 6 SM 9 IJ
//   |     | |  |  | |  | +- two check characters (not published: not checked)
//   |     | |  |  | |  +- usually 9, lowered to tell otherwise identical numbers apart
//   |     | |  |  | +- first two initials, 9 when there is no second one
//   |     | |  |  +- last digit of the year of birth
//   |     | |  +- day of birth
//   |     | +- month of birth, plus 50 for a woman
//   |     +- decade of the year of birth
//   +- first five letters of the surname, 9s when shorter (MAC is written MC)
//
// Northern Ireland licences (DVA) have an 8-digit number with no such
// structure, and European licences each their own: for those the evidence has
// no integrity check and an ID checker compares the typed details with the
// photo.
import { nameKey } from '../../domain/demographics-match.js';
import type { DocumentEvidence } from '../../domain/photo-id.js';

export interface TypedLicenceDetails {
  readonly familyName: string;
  readonly givenNames: readonly string[];
  /** YYYY-MM-DD. */
  readonly birthDate: string;
  /** YYYY-MM-DD (field 4b). */
  readonly expiryDate: string;
  /** Field 5, as printed (the card may add an issue number after a space). */
  readonly licenceNumber: string;
  /** ICAO code of the issuing state: GBR for the UK, D, FRA... */
  readonly issuingState: string;
}

export type LicenceNumberProblem = 'format' | 'surname' | 'birth-date' | 'initials';

export type LicenceNumberCheck =
  | { readonly kind: 'gb'; readonly number: string; readonly problems: readonly LicenceNumberProblem[] }
  | { readonly kind: 'northern-ireland'; readonly number: string }
  | { readonly kind: 'unrecognised' };

const GB_NUMBER = /^([A-Z9]{5})(\d)(\d{2})(\d{2})(\d)([A-Z9]{2})(\d)([A-Z0-9]{2})$/u;

/** The first five characters of field 5 for a surname: letters only, MAC as MC, 9s to pad. */
export function licenceSurnameCode(familyName: string): string {
  let letters = nameKey(familyName)
    .toUpperCase()
    .replace(/[^A-Z]/gu, '');
  if (letters.startsWith('MAC')) letters = `MC${letters.slice(3)}`;
  return letters.slice(0, 5).padEnd(5, '9');
}

/**
 * Checks a UK licence number against the holder's details. Field 5 on the
 * card may be followed by a two-digit issue number: it is ignored. The month
 * may carry the +50 for a woman (PDS's sex is not needed: either is taken).
 */
export function checkLicenceNumber(details: Omit<TypedLicenceDetails, 'expiryDate'>): LicenceNumberCheck {
  const compact = details.licenceNumber.toUpperCase().replace(/\s+/gu, '');
  const withoutIssue = compact.length === 18 && /\d{2}$/u.test(compact) ? compact.slice(0, 16) : compact;
  if (/^\d{8}$/u.test(withoutIssue)) return { kind: 'northern-ireland', number: withoutIssue };
  if (withoutIssue.length !== 16) return { kind: 'unrecognised' };
  const match = GB_NUMBER.exec(withoutIssue);
  if (!match) return { kind: 'gb', number: withoutIssue, problems: ['format'] };
  const [, surname, decade, month, day, yearDigit, initials] = match as unknown as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const problems: LicenceNumberProblem[] = [];
  if (surname !== licenceSurnameCode(details.familyName)) problems.push('surname');
  const [year, birthMonth, birthDay] = details.birthDate.split('-');
  const monthNumber = Number(month);
  const monthMatches = [monthNumber, monthNumber - 50].some((m) => m === Number(birthMonth));
  if (!year || decade !== year[2] || yearDigit !== year[3] || !monthMatches || day !== birthDay) {
    problems.push('birth-date');
  }
  const expected = details.givenNames
    .slice(0, 2)
    .map(
      (name) =>
        nameKey(name)
          .toUpperCase()
          .replace(/[^A-Z]/gu, '')[0] ?? '9',
    )
    .join('')
    .padEnd(2, '9');
  if (initials !== expected) problems.push('initials');
  return { kind: 'gb', number: withoutIssue, problems };
}

/**
 * The evidence for the domain from a typed driving licence. A Great Britain
 * number that agrees with the name and date of birth is the integrity check;
 * one that does not fails it (most often a typing mistake); other licences
 * have none.
 */
export function licenceEvidence(details: TypedLicenceDetails): DocumentEvidence {
  const issuingState = details.issuingState.toUpperCase();
  const check = issuingState === 'GBR' ? checkLicenceNumber(details) : undefined;
  let integrity: DocumentEvidence['integrity'];
  let documentNumber = details.licenceNumber.trim().toUpperCase();
  if (check?.kind === 'gb') {
    documentNumber = check.number;
    integrity =
      check.problems.length === 0
        ? { valid: true }
        : { valid: false, problems: check.problems.map((problem) => `licence number: ${problem}`) };
  } else if (check?.kind === 'unrecognised') {
    integrity = { valid: false, problems: ['licence number: format'] };
  } else if (check?.kind === 'northern-ireland') {
    documentNumber = check.number;
  }
  return {
    identity: { kind: 'driving-licence', issuingState },
    details: {
      familyName: details.familyName,
      givenNames: details.givenNames,
      birthDate: details.birthDate,
      expiryDate: details.expiryDate,
      documentNumber,
      issuingState,
    },
    source: 'typed-by-person',
    integrity,
  };
}
