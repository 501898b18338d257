// The simulated GP system's data: GP online services details issued to some
// of the synthetic patients (fixtures/pds/synthetic-patients.ndjson), one
// compact JSON object per line in fixtures/gp-system/linkages.ndjson:
//   {"accountId":"1000000026","linkageKey":"Xk9Dq2PvS7Lm3","odsCode":"B82046","nhsNumber":"9990000026"}
// Only the details and the NHS number are stored; the patient's name, birth
// date and postcode come from the synthetic record, which stands in for the
// practice's own register. Generated deterministically from a seed by
// scripts/generate-gp-linkages.ts; a test checks file and generator agree.
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { isValidNhsNumber } from '../../domain/nhs-number.js';
import {
  DEFAULT_SYNTHETIC_DATA_FILE,
  loadSyntheticPatients,
  type SyntheticPatient,
} from '../pds/synthetic.js';
import { ACCOUNT_ID_LENGTH, LINKAGE_KEY_ALPHABET, LINKAGE_KEY_LENGTH } from './details.js';
import type { GpPatient, LinkageDetails } from './port.js';
import { parseNdjson } from '../ndjson.js';

export const DEFAULT_GP_LINKAGES_FILE = new URL(
  '../../../fixtures/gp-system/linkages.ndjson',
  import.meta.url,
);
export const GP_LINKAGE_SEED = 20_240_611;
/** The share of registered patients who have signed up for GP online services. */
export const GP_ONLINE_SHARE = 0.75;

export const gpLinkageRecordSchema = z.object({
  accountId: z.string().regex(/^\d{6,12}$/, 'an Account ID is 6 to 12 digits'),
  linkageKey: z.string().regex(/^[A-Za-z0-9]{8,20}$/, 'a Linkage Key is 8 to 20 letters and digits'),
  odsCode: z.string().regex(/^[A-Z0-9]{3,10}$/, 'an ODS code is 3 to 10 upper case letters and digits'),
  nhsNumber: z.string().refine(isValidNhsNumber, 'not a valid NHS number'),
});

export type GpLinkageRecord = z.infer<typeof gpLinkageRecordSchema>;

/** Details the README and testers can rely on: the seeded test people and one person with an accented name. */
export const NAMED_GP_LINKAGES: readonly (GpLinkageRecord & { readonly note: string })[] = [
  {
    accountId: '1000000026',
    linkageKey: 'Xk9Dq2PvS7Lm3',
    odsCode: 'B82046',
    nhsNumber: '9990000026',
    note: 'Daniel Okafor, the seeded P9 test person (p9.patient@example.com)',
  },
  {
    accountId: '1000000018',
    linkageKey: 'Rb7Tn4WcH2Jf8',
    odsCode: 'A12345',
    nhsNumber: '9990000018',
    note: 'Priya Ashworth, the seeded P5 test person (p5.patient@example.com): P5 to P9 with GP details',
  },
  {
    accountId: '1000011036',
    linkageKey: 'Gm4Yz8KpQ3Vd6',
    odsCode: 'E85001',
    nhsNumber: '9990011036',
    note: 'Tomasz Lefèvre: the surname may be typed Lefevre',
  },
];

/** Parses the NDJSON data file, failing loudly on a bad line: a broken file is a bug, not "not verified". */
export function parseGpLinkages(text: string): GpLinkageRecord[] {
  return parseNdjson(text, gpLinkageRecordSchema, 'GP linkages');
}

export async function loadGpLinkages(
  file: string | URL = DEFAULT_GP_LINKAGES_FILE,
): Promise<GpLinkageRecord[]> {
  return parseGpLinkages(await readFile(file, 'utf8'));
}

export function serialiseGpLinkages(records: readonly GpLinkageRecord[]): string {
  return (
    records
      .map((r) =>
        JSON.stringify({
          accountId: r.accountId,
          linkageKey: r.linkageKey,
          odsCode: r.odsCode,
          nhsNumber: r.nhsNumber,
        }),
      )
      .join('\n') + '\n'
  );
}

// ---------------------------------------------------------------------------
// The practice register the simulated GP system answers from

/** A patient a practice holds: registered at a practice, living (restricted records included). */
export function isRegistered(person: SyntheticPatient): person is SyntheticPatient & { gp: string } {
  return person.gp !== undefined && person.deceased === undefined;
}

export function toGpPatient(person: SyntheticPatient & { gp: string }): GpPatient {
  const current = person.addresses.find((a) => a.to === undefined);
  return {
    nhsNumber: person.nhsNumber,
    familyName: person.family,
    givenNames: person.given,
    birthDate: person.birthDate,
    ...(current ? { postcode: current.postcode } : {}),
    odsCode: person.gp,
  };
}

export interface GpLinkageEntry {
  readonly details: LinkageDetails;
  readonly patient: GpPatient;
}

/**
 * Joins linkage records to the register, checking that every record points at
 * a registered patient at the same practice and that Account IDs are unique.
 */
export function joinGpLinkages(
  records: readonly GpLinkageRecord[],
  patients: readonly SyntheticPatient[],
): { entries: GpLinkageEntry[]; register: Map<string, GpPatient> } {
  const register = new Map<string, GpPatient>();
  for (const person of patients)
    if (isRegistered(person)) register.set(person.nhsNumber, toGpPatient(person));
  const accountIds = new Set<string>();
  const entries = records.map((r, i) => {
    const patient = register.get(r.nhsNumber);
    if (!patient) throw new Error(`GP linkages line ${i + 1}: ${r.nhsNumber} is not a registered patient`);
    if (patient.odsCode !== r.odsCode) {
      throw new Error(
        `GP linkages line ${i + 1}: ${r.nhsNumber} is registered at ${patient.odsCode}, not ${r.odsCode}`,
      );
    }
    if (accountIds.has(r.accountId))
      throw new Error(`GP linkages line ${i + 1}: Account ID ${r.accountId} twice`);
    accountIds.add(r.accountId);
    return { details: { accountId: r.accountId, linkageKey: r.linkageKey, odsCode: r.odsCode }, patient };
  });
  return { entries, register };
}

/** The data file joined to the synthetic record (the embedded GP system and the CLI). */
export async function loadGpLinkageEntries(
  options: { dataFile?: string | URL; patientsFile?: string | URL } = {},
): Promise<{ entries: GpLinkageEntry[]; register: Map<string, GpPatient> }> {
  const [records, patients] = await Promise.all([
    loadGpLinkages(options.dataFile ?? DEFAULT_GP_LINKAGES_FILE),
    loadSyntheticPatients(options.patientsFile ?? DEFAULT_SYNTHETIC_DATA_FILE),
  ]);
  return joinGpLinkages(records, patients);
}

// ---------------------------------------------------------------------------
// Generation

// mulberry32, as the synthetic record's generator: the same seed always gives
// the same details.
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** A fresh Account ID (first digit 2-9; named examples start with 1) and Linkage Key from a source of randomness. */
export function newLinkageDetails(
  next: () => number,
  taken: ReadonlySet<string>,
): { accountId: string; linkageKey: string } {
  const digit = (from: number) => String(from + Math.floor(next() * (10 - from)));
  let accountId: string;
  do {
    accountId = digit(2);
    while (accountId.length < ACCOUNT_ID_LENGTH) accountId += digit(0);
  } while (taken.has(accountId));
  let linkageKey = '';
  while (linkageKey.length < LINKAGE_KEY_LENGTH) {
    linkageKey += LINKAGE_KEY_ALPHABET[Math.floor(next() * LINKAGE_KEY_ALPHABET.length)];
  }
  return { accountId, linkageKey };
}

/**
 * The named examples, then details for about three in four of the other
 * registered, unrestricted patients, in the synthetic record's order.
 */
export function generateGpLinkages(
  patients: readonly SyntheticPatient[],
  seed: number = GP_LINKAGE_SEED,
): GpLinkageRecord[] {
  const next = random(seed);
  const byNumber = new Map(patients.map((p) => [p.nhsNumber, p]));
  const records: GpLinkageRecord[] = [];
  const taken = new Set<string>();
  for (const { note: _note, ...named } of NAMED_GP_LINKAGES) {
    const person = byNumber.get(named.nhsNumber);
    if (!person || !isRegistered(person) || person.gp !== named.odsCode) {
      throw new Error(
        `Named GP linkage for ${named.nhsNumber}: no such patient registered at ${named.odsCode}`,
      );
    }
    records.push(named);
    taken.add(named.accountId);
  }
  const named = new Set(NAMED_GP_LINKAGES.map((n) => n.nhsNumber));
  for (const person of patients) {
    if (named.has(person.nhsNumber) || !isRegistered(person) || person.restricted) continue;
    if (next() >= GP_ONLINE_SHARE) continue;
    const details = newLinkageDetails(next, taken);
    taken.add(details.accountId);
    records.push({ ...details, odsCode: person.gp, nhsNumber: person.nhsNumber });
  }
  return records;
}
