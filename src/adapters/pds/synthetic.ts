// The synthetic national record: test patients in the 999 NHS number range
// (never issued to real people), generated deterministically from a seed by
// scripts/generate-synthetic-pds.ts into fixtures/pds/synthetic-patients.ndjson,
// which the embedded adapter loads. One compact JSON object per line keeps the
// file small and its diffs readable; fhir.ts turns a line into a FHIR Patient.
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { generateTestNhsNumber, isValidNhsNumber } from '../../domain/nhs-number.js';
import { parseNdjson } from '../ndjson.js';

export const DEFAULT_SYNTHETIC_DATA_FILE = new URL(
  '../../../fixtures/pds/synthetic-patients.ndjson',
  import.meta.url,
);
export const SYNTHETIC_SEED = 20_240_517;
/** How many people beside the named test people. */
export const SYNTHETIC_POPULATION = 1_000;
/** Test NHS number sequences below this are kept for named test people (src/cli/seed.ts). */
const FIRST_GENERATED_SEQUENCE = 1_000;

const nhsNumber = z.string().refine(isValidNhsNumber, 'not a valid NHS number');
const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);

const syntheticAddress = z.object({
  line: z.array(z.string()).min(1),
  postcode: z.string(),
  from: isoDate,
  to: isoDate.optional(),
});

export const syntheticPatientSchema = z.object({
  nhsNumber,
  /** NHS numbers merged into this record; a read of one returns this record. */
  superseded: z.array(nhsNumber).optional(),
  versionId: z.string(),
  family: z.string().min(1),
  given: z.array(z.string().min(1)).min(1),
  gender: z.enum(['male', 'female', 'other', 'unknown']),
  birthDate: isoDate,
  deceased: z.string().optional(),
  /** Home addresses, current (no `to`) first. */
  addresses: z.array(syntheticAddress).min(1),
  gp: z.string().optional(),
  phone: z.string().optional(),
  email: z.string().optional(),
  restricted: z.boolean().optional(),
});

export type SyntheticPatient = z.infer<typeof syntheticPatientSchema>;
export type SyntheticAddress = z.infer<typeof syntheticAddress>;

/** Parses the NDJSON data file, failing loudly on a bad line: a broken file is a bug, not "no match". */
export function parseSyntheticPatients(text: string): SyntheticPatient[] {
  return parseNdjson(text, syntheticPatientSchema, 'synthetic PDS');
}

export async function loadSyntheticPatients(
  file: string | URL = DEFAULT_SYNTHETIC_DATA_FILE,
): Promise<SyntheticPatient[]> {
  return parseSyntheticPatients(await readFile(file, 'utf8'));
}

export function serialiseSyntheticPatients(patients: readonly SyntheticPatient[]): string {
  return patients.map((p) => JSON.stringify(p)).join('\n') + '\n';
}

// ---------------------------------------------------------------------------
// Generation

/** The named test people of src/cli/seed.ts, as PDS holds them (postcodes and addresses chosen here). */
export const NAMED_TEST_PATIENTS: readonly SyntheticPatient[] = [
  {
    nhsNumber: generateTestNhsNumber(0),
    versionId: '1',
    family: 'Ashworth',
    given: ['Priya'],
    gender: 'female',
    birthDate: '1984-03-17',
    addresses: [{ line: ['14 Park Row', 'Leeds'], postcode: 'LS1 5HD', from: '2016-08-01' }],
    gp: 'A12345',
    phone: '+447700900005',
    email: 'p5.patient@example.com',
  },
  {
    nhsNumber: generateTestNhsNumber(1),
    versionId: '1',
    family: 'Okafor',
    given: ['Daniel'],
    gender: 'male',
    birthDate: '1959-11-02',
    addresses: [{ line: ['3 Corporation Street', 'Manchester'], postcode: 'M4 3AJ', from: '1998-02-14' }],
    gp: 'B82046',
    phone: '+447700900009',
    email: 'p9.patient@example.com',
  },
];

/** Registered practices for generated people (A81001 and B82002 are the ones tests use). */
export const GP_PRACTICES = ['A81001', 'A81002', 'B82002', 'B82005', 'C81010', 'D82001', 'E85001', 'F81001'];

// mulberry32: small, fast and good enough to scatter test data; the same seed
// always gives the same people.
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

/** A comma-separated list (so that prettier keeps a long list of names on a few lines). */
const list = (text: string): string[] =>
  text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');

const FEMALE = list(`
  Olivia, Amelia, Isla, Ava, Emily, Sophia, Grace, Mia, Poppy, Ella, Zoë, Chloé, Siân, Niamh, Aoife,
  Bethan, Rhiannon, Renée, Anaïs, Anne-Marie, Mary, Margaret, Susan, Fatima, Aisha, Priya, Mei, Agnieszka,
  Hannah, Eilidh`);
const MALE = list(`
  Oliver, George, Harry, Noah, Jack, Leo, Arthur, Muhammad, Oscar, Charlie, Seán, Dafydd, Rhys, Ciarán,
  José, François, Łukasz, Jean-Luc, John, David, Michael, Peter, Kwame, Rohan, Wei, Tomasz, Callum, Eóin,
  Noël, Thomas`);
const MIDDLE_FEMALE = list('Rose, Mae, Louise, Grace, Kate, Jane, Siân');
const MIDDLE_MALE = list('James, Alexander, Edward, Ahmed, Rhys, John, Pádraig');
const FAMILY = list(`
  Smith, Jones, Taylor, Brown, Williams, Wilson, Johnson, Davies, Patel, Robinson, Wright, Thompson, Evans,
  Walker, White, Roberts, Green, Hall, Khan, Begum, O'Brien, O'Connor, D'Souza, Smith-Jones, Ashworth-Hughes,
  McDonald, MacLeod, Müller, Brontë, Núñez, Kowalski, Nowak, Ní Bhriain, ap Gwilym, Van der Berg, Nguyen,
  Adeyemi, Øvergård, Đorđević, Lefèvre`);
const STREETS = list(`
  High Street, Station Road, Church Lane, Victoria Road, Park Avenue, Mill Lane, Queen Street, Green Close,
  King Street, Manor Way, Orchard Drive, The Crescent`);
// Outward codes with their post towns; inward codes are generated.
const AREAS = list(`
  LS6 Leeds, LS11 Leeds, M14 Manchester, M20 Manchester, B15 Birmingham, BS8 Bristol, CF10 Cardiff,
  EH3 Edinburgh, G12 Glasgow, NE1 Newcastle upon Tyne, L8 Liverpool, S10 Sheffield, NG7 Nottingham,
  SW1A London, E1 London, N1 London, SE15 London, W2 London, OX1 Oxford, CB2 Cambridge, YO1 York,
  BT9 Belfast, PL4 Plymouth, EX4 Exeter, TR1 Truro`).map((area) => {
  const space = area.indexOf(' ');
  return [area.slice(0, space), area.slice(space + 1)] as const;
});
const UNIT_LETTERS = 'ABDEFGHJLNPQRSTUWXYZ';

const pad = (n: number) => String(n).padStart(2, '0');
const isoDay = (d: Date) => `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
/** Deterministic "today" for generated dates, so re-running does not change the file. */
const REFERENCE_DAY = Date.UTC(2025, 0, 1);
const DAY = 86_400_000;

/**
 * The synthetic national record: NAMED_TEST_PATIENTS, then `population`
 * generated people with children under 16 and people over 90, accented,
 * hyphenated and apostrophised names, some with several given names, some
 * moved house, some deceased, some superseded NHS numbers, and people who
 * share a name and date of birth (most at different postcodes, a few at the
 * same one: unmerged duplicates, which no match may choose between).
 */
export function generateSyntheticPatients(
  seed: number = SYNTHETIC_SEED,
  population: number = SYNTHETIC_POPULATION,
): SyntheticPatient[] {
  const next = random(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!;
  const chance = (p: number) => next() < p;
  let sequence = FIRST_GENERATED_SEQUENCE;
  const newNhsNumber = () => generateTestNhsNumber(sequence++);
  const taken = new Set(NAMED_TEST_PATIENTS.map((p) => `${p.family}|${p.birthDate}`));

  const postcode = (outward: string) =>
    `${outward} ${Math.floor(next() * 10)}${pick([...UNIT_LETTERS])}${pick([...UNIT_LETTERS])}`;
  const address = (from: string, to?: string): SyntheticAddress => {
    const [outward, town] = pick(AREAS);
    return {
      line: [`${1 + Math.floor(next() * 180)} ${pick(STREETS)}`, town],
      postcode: postcode(outward),
      from,
      ...(to ? { to } : {}),
    };
  };
  const birthDate = (): string => {
    // A spread of ages: a quarter under 16, a few over 90.
    const r = next();
    const years = r < 0.25 ? next() * 16 : r < 0.95 ? 16 + next() * 74 : 90 + next() * 15;
    return isoDay(new Date(REFERENCE_DAY - Math.floor(years * 365.25 * DAY)));
  };
  const dayAfter = (iso: string, maxYears: number): string => {
    const start = Date.parse(`${iso}T00:00:00Z`);
    const end = Math.max(start + DAY, REFERENCE_DAY - 30 * DAY);
    return isoDay(new Date(start + Math.floor(next() * Math.min(end - start, maxYears * 365.25 * DAY))));
  };

  const person = (): SyntheticPatient => {
    const gender = chance(0.5) ? 'female' : 'male';
    const first = pick(gender === 'female' ? FEMALE : MALE);
    const given = chance(0.2) ? [first, pick(gender === 'female' ? MIDDLE_FEMALE : MIDDLE_MALE)] : [first];
    let family = pick(FAMILY);
    let born = birthDate();
    while (taken.has(`${family}|${born}`)) [family, born] = [pick(FAMILY), birthDate()];
    const movedIn = dayAfter(born, 40);
    const addresses = [address(movedIn)];
    if (chance(0.12)) addresses.push(address(dayAfter(born, 10), movedIn));
    const slug = nameSlug(`${first}.${family}`);
    return {
      nhsNumber: newNhsNumber(),
      versionId: String(1 + Math.floor(next() * 4)),
      family,
      given,
      gender,
      birthDate: born,
      addresses,
      gp: pick(GP_PRACTICES),
      ...(chance(0.6) ? { phone: `+447700900${String(Math.floor(next() * 1000)).padStart(3, '0')}` } : {}),
      ...(chance(0.4) ? { email: `${slug}${Math.floor(next() * 100)}@example.com` } : {}),
    };
  };

  const generated: SyntheticPatient[] = [];
  while (generated.length < population) {
    const p = person();
    taken.add(`${p.family}|${p.birthDate}`);
    generated.push(p);
  }

  // Shared name and date of birth: every 40th person has a namesake born the
  // same day elsewhere; every fifth such pair at the same postcode.
  for (let i = 20; i < population - 1; i += 40) {
    const original = generated[i]!;
    const twin = generated[i + 1]!;
    const theirs = original.addresses[0]!.postcode;
    const current = twin.addresses[0]!;
    const samePostcode = (i - 20) % 200 === 0;
    const postcode = samePostcode
      ? theirs
      : current.postcode === theirs
        ? `${theirs.slice(0, -3)}${(Number(theirs.at(-3)) + 1) % 10}${theirs.slice(-2)}`
        : current.postcode;
    generated[i + 1] = {
      ...twin,
      family: original.family,
      given: original.given,
      gender: original.gender,
      birthDate: original.birthDate,
      addresses: [{ line: current.line, postcode, from: dayAfter(original.birthDate, 40) }],
      ...(twin.email
        ? { email: `${nameSlug(`${original.given[0]}.${original.family}`)}${i}@example.com` }
        : {}),
    };
  }
  // Restricted (sensitive) records: PDS withholds their address, contacts and GP.
  for (let i = 48; i < population; i += 97) generated[i] = { ...generated[i]!, restricted: true };
  // Deceased: every 37th person, on a day after their birth.
  for (let i = 5; i < population; i += 37) {
    const p = generated[i]!;
    generated[i] = { ...p, deceased: `${dayAfter(p.birthDate, 100)}T00:00:00+00:00` };
  }
  // Superseded: every 29th person had a duplicate record, merged into this one.
  for (let i = 11; i < population; i += 29) {
    const p = generated[i]!;
    generated[i] = { ...p, superseded: [newNhsNumber()], versionId: String(Number(p.versionId) + 1) };
  }
  return [...NAMED_TEST_PATIENTS, ...generated];
}

function nameSlug(name: string): string {
  return name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .replace(/[^a-z.]/g, '');
}
