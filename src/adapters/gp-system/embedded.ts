// The embedded GP system, the default: a simulated practice system holding GP
// online services details for most of the synthetic patients
// (fixtures/gp-system/linkages.ndjson, joined to fixtures/pds/synthetic-patients.ndjson,
// which stands in for the practices' registers).
//
// It behaves as a GP system does where it matters:
// - Linkage Keys are compared in constant time (as SHA-256 digests, so that
//   lengths do not leak either), and an unknown Account ID costs the same
//   comparison as a known one.
// - Wrong details of any kind give the same `not-verified`.
// - Wrong tries are counted per Account ID, known or not (so a lock says
//   nothing about whether an account exists); the `lockAfter`th wrong try
//   locks that Account ID, and from then on even the right details are
//   `locked`, until the practice issues new details (`issueLinkage`), the
//   lock period ends (`lockForMs`; by default it does not) or the process
//   restarts. Counters live in memory, a bounded number of them.
// - `issueLinkage` gives a registered patient new details, or resets the key
//   of the ones they have. Issued details are kept in an in-memory overlay on
//   top of the data file: they last until the process restarts, and the
//   `gp-linkages` CLI command (which reads the file) does not show them.
import { createHash, randomInt, timingSafeEqual } from 'node:crypto';
import { nameKey, normaliseBirthDate } from '../../domain/demographics-match.js';
import { normaliseNhsNumber } from '../../domain/nhs-number.js';
import type { SyntheticPatient } from '../pds/synthetic.js';
import { normaliseLinkageDetails, normaliseOdsCode, toCredentials } from './details.js';
import {
  joinGpLinkages,
  loadGpLinkageEntries,
  newLinkageDetails,
  type GpLinkageEntry,
  type GpLinkageRecord,
} from './linkages.js';
import type {
  GpPatient,
  GpSystem,
  IssueLinkageInput,
  IssueLinkageResult,
  LinkageDetails,
  VerifyLinkageInput,
  VerifyLinkageResult,
} from './port.js';

export const DEFAULT_LOCK_AFTER = 5;
/** The most Account IDs whose wrong tries are remembered at once; the oldest are forgotten first. */
const MAX_TRACKED_ACCOUNTS = 10_000;

export interface EmbeddedGpSystemOptions {
  /** The linkages file; fixtures/gp-system/linkages.ndjson when neither this nor `linkages` is given. */
  dataFile?: string | URL;
  /** The synthetic record (the practices' registers); fixtures/pds/synthetic-patients.ndjson by default. */
  patientsFile?: string | URL;
  /** Records and people to use instead of files (tests). Both or neither. */
  linkages?: readonly GpLinkageRecord[];
  patients?: readonly SyntheticPatient[];
  /** Wrong tries for one Account ID before it locks (default 5). */
  lockAfter?: number;
  /** How long a lock lasts, in milliseconds (default: until new details are issued or the process restarts). */
  lockForMs?: number;
  /** Milliseconds since the epoch. */
  now?: () => number;
}

export interface EmbeddedGpSystem extends GpSystem {
  /** Loads and checks the data now (at start-up, so a broken file fails early). */
  ready(): Promise<{ linkages: number; registeredPatients: number }>;
}

interface State {
  /** By Account ID: the data file's details, then the overlay's (which win). */
  byAccountId: Map<string, GpLinkageEntry>;
  /** Account ID by practice and NHS number, to find a patient's existing details. */
  byPatient: Map<string, string>;
  register: Map<string, GpPatient>;
}

interface Attempts {
  failures: number;
  lockedUntil?: number;
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
/** Compared against when the Account ID is unknown, so that case takes as long as a wrong key. */
const NO_KEY = digest('\u0000no linkage key\u0000');
const patientKey = (odsCode: string, nhsNumber: string) => `${odsCode}/${nhsNumber}`;

export function createEmbeddedGpSystem(options: EmbeddedGpSystemOptions = {}): EmbeddedGpSystem {
  const lockAfter = options.lockAfter ?? DEFAULT_LOCK_AFTER;
  const lockForMs = options.lockForMs ?? Number.POSITIVE_INFINITY;
  const now = options.now ?? Date.now;
  if (!Number.isInteger(lockAfter) || lockAfter < 1)
    throw new Error('lockAfter must be a whole number of 1 or more');

  let loading: Promise<State> | undefined;
  const state = (): Promise<State> => {
    loading ??= (
      options.linkages && options.patients
        ? Promise.resolve(joinGpLinkages(options.linkages, options.patients))
        : loadGpLinkageEntries({
            ...(options.dataFile ? { dataFile: options.dataFile } : {}),
            ...(options.patientsFile ? { patientsFile: options.patientsFile } : {}),
          })
    )
      .then(({ entries, register }): State => {
        const s: State = { byAccountId: new Map(), byPatient: new Map(), register };
        for (const entry of entries) remember(s, entry);
        return s;
      })
      .catch((e: unknown) => {
        loading = undefined;
        throw e;
      });
    return loading;
  };

  function remember(s: State, entry: GpLinkageEntry): void {
    s.byAccountId.set(entry.details.accountId, entry);
    s.byPatient.set(patientKey(entry.details.odsCode, entry.patient.nhsNumber), entry.details.accountId);
  }

  const attempts = new Map<string, Attempts>();

  function isLocked(accountId: string): boolean {
    const a = attempts.get(accountId);
    if (a?.lockedUntil === undefined) return false;
    if (a.lockedUntil > now()) return true;
    attempts.delete(accountId);
    return false;
  }

  /** Counts a wrong try; true when this one locks the Account ID. */
  function fail(accountId: string): boolean {
    const a = attempts.get(accountId) ?? { failures: 0 };
    attempts.delete(accountId); // re-inserted last: the map stays oldest-first
    a.failures += 1;
    if (a.failures >= lockAfter) a.lockedUntil = now() + lockForMs;
    attempts.set(accountId, a);
    while (attempts.size > MAX_TRACKED_ACCOUNTS) {
      const oldest = attempts.keys().next().value;
      if (oldest === undefined) break;
      attempts.delete(oldest);
    }
    return a.lockedUntil !== undefined;
  }

  async function verifyLinkage(input: VerifyLinkageInput): Promise<VerifyLinkageResult> {
    const s = await state();
    const given = normaliseLinkageDetails(input);
    if (isLocked(given.accountId)) return { kind: 'locked' };

    const entry = s.byAccountId.get(given.accountId);
    // Always one constant-time comparison, whether or not the account exists.
    const keyMatches = timingSafeEqual(
      digest(given.linkageKey),
      entry ? digest(entry.details.linkageKey) : NO_KEY,
    );
    const matches =
      entry !== undefined &&
      keyMatches &&
      entry.details.odsCode === given.odsCode &&
      (input.surname === undefined || nameKey(input.surname) === nameKey(entry.patient.familyName)) &&
      (input.dateOfBirth === undefined || normaliseBirthDate(input.dateOfBirth) === entry.patient.birthDate);

    if (!matches) return fail(given.accountId) ? { kind: 'locked' } : { kind: 'not-verified' };
    attempts.delete(given.accountId);
    return { kind: 'verified', patient: entry.patient, credentials: toCredentials(entry.details) };
  }

  async function issueLinkage(input: IssueLinkageInput): Promise<IssueLinkageResult> {
    const s = await state();
    const nhsNumber = normaliseNhsNumber(input.nhsNumber);
    const odsCode = normaliseOdsCode(input.odsCode);
    const patient = nhsNumber ? s.register.get(nhsNumber) : undefined;
    if (!patient || patient.odsCode !== odsCode) return { kind: 'not-registered' };

    const existing = s.byPatient.get(patientKey(odsCode, patient.nhsNumber));
    const taken = new Set(s.byAccountId.keys());
    const fresh = newLinkageDetails(() => randomInt(0, 2 ** 32) / 2 ** 32, taken);
    const details: LinkageDetails = {
      accountId: existing ?? fresh.accountId,
      linkageKey: fresh.linkageKey,
      odsCode,
    };
    remember(s, { details, patient });
    attempts.delete(details.accountId);
    return { kind: 'issued', details, patient, replaced: existing !== undefined };
  }

  return {
    verifyLinkage: (input) => verifyLinkage(input),
    issueLinkage: (input) => issueLinkage(input),
    async ready() {
      const s = await state();
      return { linkages: s.byAccountId.size, registeredPatients: s.register.size };
    },
  };
}
