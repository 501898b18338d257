// Finding a patient face to face (in-person proving, practice-set delegated
// access): their national record by NHS number and date of birth, only when
// it is a living person's current record registered at the member's
// organisation (X26 acts for anyone), and the NHS login bound to it, never
// the member's own. Each area words its refusals for its own task.
import type { FastifyRequest } from 'fastify';
import type { PatientSummary } from '../adapters/pds/index.js';
import { checkNationalRecord } from '../provision-api/service.js';
import type { Account } from '../store/accounts.js';
import type { BackofficeKit } from './kit.js';
import { seesOrganisation } from './organisation.js';
import { isOwnAccount } from './support/access.js';

export interface PatientQuery {
  nhsNumber: string;
  /** YYYY-MM-DD. */
  birthDate: string;
}

export interface FoundPatient {
  patient: PatientSummary;
  /** The NHS login bound to the patient's NHS number, if any. */
  holder: Account | undefined;
}

export type PatientLookup =
  { ok: true; found: FoundPatient } | { ok: false; status: number; result: string; problem: string };

/** What the area says when the patient is another practice's, and when it is the member's own login. */
export interface LookupWords {
  otherPractice: string;
  ownAccount: string;
}

export async function lookUpPatient(
  kit: Pick<BackofficeKit, 'deps' | 'staffOf'>,
  request: FastifyRequest,
  query: PatientQuery,
  words: LookupWords,
): Promise<PatientLookup> {
  const { deps } = kit;
  const { staff } = kit.staffOf(request);
  const record = await checkNationalRecord(deps.demographics, query.nhsNumber, query.birthDate, request.id);
  if (!record.ok) {
    return record.error === 'pdsUnavailable'
      ? {
          ok: false,
          status: 503,
          result: 'pds-unavailable',
          problem:
            'The national demographics service (PDS) could not be reached. Nothing has been changed. Try again later.',
        }
      : {
          ok: false,
          status: 404,
          result: record.reason,
          problem:
            'No living patient has this NHS number and date of birth in the national record. Check the details and try again.',
        };
  }
  const patient = record.patient;
  if (!seesOrganisation(staff, patient.gpOdsCode)) {
    return {
      ok: false,
      status: 403,
      result: 'other-organisation',
      problem: `This patient is not registered at your organisation (${staff.ods_code}). ${words.otherPractice}`,
    };
  }
  const holder = await deps.db
    .selectFrom('accounts')
    .selectAll()
    .where('nhs_number_hash', '=', deps.sealer.lookupHash(patient.nhsNumber))
    .executeTakeFirst();
  if (holder && isOwnAccount(staff, holder)) {
    return { ok: false, status: 403, result: 'own-account', problem: words.ownAccount };
  }
  return { ok: true, found: { patient, holder } };
}
