// P9 in person: the rules of provisioning an account for a person whose
// photo ID an organisation checked face to face (interface.md, Provision
// Account). Pure: what a request must hold, which outcome or error applies
// given what the store found, and the GPG45 evidence record of the check.
// The back office page and the Provision Account API both decide here, so
// they answer alike.
//
// Error codes. 11003, 11004, 11005 and 11011 are NHS login's (Provision
// Account API v1.0 draft); the others are ours, in the same range, each for
// one kind of problem so that a caller can act on the code alone.
import { normaliseEmail, normaliseUkMobile } from './contact-details.js';
import { normaliseBirthDate } from './demographics-match.js';
import { gpg45Evidence, scoreInPerson, type InPersonFacts } from './gpg45-routes.js';
import { normaliseNhsNumber } from './nhs-number.js';
import { err, ok, type Result } from './result.js';
import type { ProofingLevel } from './vectors-of-trust.js';

export const PROVISION_ERRORS = {
  /** The body is not a JSON object of the five string fields (ours). */
  malformed: {
    code: '11001',
    status: 400,
    message:
      'the body must be a JSON object with the string fields nhs_number, email_address, date_of_birth, ods_code and phone_number, and no others',
  },
  /** A pending request for this NHS number was made in the last 7 days. */
  pending: {
    code: '11003',
    status: 409,
    message: 'a request for this NHS number is already waiting to be claimed (made in the last 7 days)',
  },
  /** The email address belongs to an NHS login that is not this person's. */
  emailInUse: {
    code: '11004',
    status: 409,
    message: 'the email address is already used by another NHS login',
  },
  /** The NHS login holding this NHS number has proved who they are to P9 already. */
  alreadyP9: {
    code: '11005',
    status: 409,
    message: 'this person already has an NHS login at P9 (high level of proof)',
  },
  /** Field checks (ours): one code per field; the first field at fault names the code. */
  nhsNumber: {
    code: '11006',
    status: 400,
    message: 'nhs_number must be a valid 10-digit NHS number (modulus 11 check digit)',
  },
  emailAddress: {
    code: '11007',
    status: 400,
    message: 'email_address must be an email address, like name@example.com',
  },
  dateOfBirth: {
    code: '11008',
    status: 400,
    message: 'date_of_birth must be a real date in the past, as YYYY-MM-DD',
  },
  odsCode: {
    code: '11009',
    status: 400,
    message: 'ods_code must be an ODS code: 3 to 6 letters and digits, like A12345',
  },
  phoneNumber: {
    code: '11010',
    status: 400,
    message: 'phone_number must be a UK mobile phone number, like +447700900982',
  },
  /** Too many requests from one organisation. */
  tooMany: {
    code: '11011',
    status: 429,
    message: 'too many requests from this organisation: try again later',
  },
  /** The NHS number and date of birth are not those of a living person's current national record (ours). */
  notMatched: {
    code: '11012',
    status: 400,
    message:
      'nhs_number and date_of_birth do not match a living person’s current record in the national demographics service (PDS)',
  },
  /** The ODS code sent is not the organisation this client is approved for (ours). */
  wrongOrganisation: {
    code: '11013',
    status: 403,
    message: 'ods_code is not the organisation this client is approved to provision for',
  },
  /** The national demographics service could not be reached: nothing was done (ours). */
  pdsUnavailable: {
    code: '11014',
    status: 503,
    message:
      'the national demographics service (PDS) could not be reached: nothing was done, try again later',
  },
  /** The NHS login holding this NHS number has its level suspended pending a re-check (ours). */
  suspended: {
    code: '11015',
    status: 409,
    message:
      'the NHS login holding this NHS number cannot be uplifted now: its proof of identity is suspended until it is checked again',
  },
} as const;

export type ProvisionError = keyof typeof PROVISION_ERRORS;
export type ProvisionField = 'nhs_number' | 'email_address' | 'date_of_birth' | 'ods_code' | 'phone_number';

/** The five fields, in the order they are checked (and their error). */
export const PROVISION_FIELDS: readonly { field: ProvisionField; error: ProvisionError }[] = [
  { field: 'nhs_number', error: 'nhsNumber' },
  { field: 'email_address', error: 'emailAddress' },
  { field: 'date_of_birth', error: 'dateOfBirth' },
  { field: 'ods_code', error: 'odsCode' },
  { field: 'phone_number', error: 'phoneNumber' },
];

/** An organisation's ODS code: a GP practice's is a letter and five digits (A12345); others differ. */
export const ODS_CODE_FORMAT = /^[A-Z0-9]{3,6}$/;

export interface ProvisionDetails {
  nhsNumber: string;
  /** Lower-cased. */
  email: string;
  /** YYYY-MM-DD */
  birthDate: string;
  /** Upper-cased. */
  odsCode: string;
  /** E.164, a UK mobile. */
  phoneNumber: string;
}

export type RawProvision = Partial<Record<ProvisionField, string>>;

/** Longest value worth looking at: no field is longer. */
const MAX_FIELD = 320;

/** Checks every field; the problems are listed in field order (the first names the API's code). */
export function parseProvision(
  raw: RawProvision,
  today: string,
): Result<ProvisionDetails, { field: ProvisionField; error: ProvisionError }[]> {
  const problems: { field: ProvisionField; error: ProvisionError }[] = [];
  const value = (field: ProvisionField) => {
    const v = raw[field] ?? '';
    return v.length > MAX_FIELD ? '' : v;
  };
  const nhsNumber = normaliseNhsNumber(value('nhs_number'));
  if (!nhsNumber) problems.push({ field: 'nhs_number', error: 'nhsNumber' });
  const email = normaliseEmail(value('email_address'));
  if (!email.ok) problems.push({ field: 'email_address', error: 'emailAddress' });
  const birthDate = normaliseBirthDate(value('date_of_birth'));
  if (!birthDate || birthDate > today || birthDate < '1900-01-01')
    problems.push({ field: 'date_of_birth', error: 'dateOfBirth' });
  const odsCode = value('ods_code').trim().toUpperCase();
  if (!ODS_CODE_FORMAT.test(odsCode)) problems.push({ field: 'ods_code', error: 'odsCode' });
  const phone = normaliseUkMobile(value('phone_number'));
  if (!phone.ok) problems.push({ field: 'phone_number', error: 'phoneNumber' });
  if (problems.length || !nhsNumber || !email.ok || !birthDate || !phone.ok) return err(problems);
  return ok({ nhsNumber, email: email.value, birthDate, odsCode, phoneNumber: phone.value });
}

/** What the national record said of the NHS number (the store reads PDS; this judges). */
export type PdsFinding =
  | { kind: 'found'; birthDate: string | undefined; deceased: boolean; gpOdsCode: string | undefined }
  /** The number was merged into another record: not a current record. */
  | { kind: 'superseded' }
  | { kind: 'not-found' };

/** Is this the living person's current record, with the date of birth given? */
export function pdsMatches(finding: PdsFinding, birthDate: string): boolean {
  return finding.kind === 'found' && !finding.deceased && finding.birthDate === birthDate;
}

/** What the store found about the NHS number and email, to decide with. */
export interface ProvisionFacts {
  /** The NHS login bound to this NHS number, if any. */
  holder?: { id: string; level: ProofingLevel; email: string };
  /** The NHS login using the email address, if any. */
  emailOwnerId?: string;
  /** A pending request for this NHS number made in the last CLAIM_EXPIRY_DAYS days. */
  pendingRecently: boolean;
}

export type ProvisionDecision =
  | { ok: true; outcome: 'uplift'; accountId: string }
  | { ok: true; outcome: 'create' }
  | { ok: false; error: ProvisionError };

/**
 * Which outcome, or which error, in this order: already P9 (11005), a pending
 * request (11003), the email used by another NHS login (11004; the holder's
 * own email is fine), a suspended level (ours, 11015). Then 'uplift' when an NHS
 * login holds the number (P5), else 'create'.
 */
export function decideProvision(facts: ProvisionFacts): ProvisionDecision {
  const { holder } = facts;
  if (holder?.level === 'P9') return { ok: false, error: 'alreadyP9' };
  if (facts.pendingRecently) return { ok: false, error: 'pending' };
  if (facts.emailOwnerId && facts.emailOwnerId !== holder?.id) return { ok: false, error: 'emailInUse' };
  // Bound to a number means P5 or more; below that, the level is suspended pending a re-check.
  if (holder && holder.level !== 'P5') return { ok: false, error: 'suspended' };
  if (holder) return { ok: true, outcome: 'uplift', accountId: holder.id };
  return { ok: true, outcome: 'create' };
}

/** The GPG45 record and decision of a face-to-face check, as stored with the request and attempt. */
export function inPersonGpg45(facts: InPersonFacts): Record<string, unknown> {
  return gpg45Record(scoreInPerson(facts));
}

/** The GPG45 record of a face-to-face check, as stored with the request (one shape for every route). */
export const gpg45Record = gpg45Evidence;

/** The last four characters of a document's number, as recorded: letters and digits, upper case. */
export function parseLastFour(input: string): string | undefined {
  const v = input.replace(/\s/g, '').toUpperCase();
  return /^[A-Z0-9]{4}$/.test(v) ? v : undefined;
}
