// The embedded demographics adapter, the default: the synthetic national
// record (fixtures/pds/synthetic-patients.ndjson) loaded once and indexed,
// answering as PDS's application-restricted access does: a read follows a
// superseded number to the current record; a non-fuzzy search needs at least
// a family name and a date of birth, allows `*` prefixes, and returns a
// unique match only (more than `maxResults` is TOO_MANY_MATCHES).
import { nameKey, normaliseBirthDate, normalisePostcode } from '../../domain/demographics-match.js';
import { normaliseNhsNumber } from '../../domain/nhs-number.js';
import { err, ok, type Result } from '../../domain/result.js';
import { fromFhirPatient, toFhirPatient, todayIso } from './fhir.js';
import type {
  Demographics,
  FhirPatient,
  PatientSummary,
  PdsError,
  PdsReadResult,
  PdsSearchQuery,
  PdsSearchResult,
} from './port.js';
import { DEFAULT_SYNTHETIC_DATA_FILE, loadSyntheticPatients, type SyntheticPatient } from './synthetic.js';

export interface EmbeddedDemographicsOptions {
  /** The NDJSON data file; fixtures/pds/synthetic-patients.ndjson when neither this nor patients is given. */
  dataFile?: string | URL;
  /** People to use instead of a file (tests). */
  patients?: readonly SyntheticPatient[];
  /** YYYY-MM-DD: which names and addresses are current. */
  today?: () => string;
}

export interface EmbeddedDemographics extends Demographics {
  /** Loads and indexes the record now (at start-up, so a broken file fails early). */
  ready(): Promise<{ patients: number; supersededNumbers: number }>;
}

/** The most a search returns when the query does not say (application-restricted access: unique matches only). */
const DEFAULT_MAX_RESULTS = 1;
const MAX_RESULTS_LIMIT = 50;

interface Entry {
  person: SyntheticPatient;
  fhir: FhirPatient;
  familyKey: string;
  firstGivenKey: string;
  allGivenKey: string;
  postcodes: { current?: string; all: string[] };
}

interface Index {
  byNumber: Map<string, Entry>;
  supersededBy: Map<string, string>;
  byBirthDate: Map<string, Entry[]>;
}

function buildIndex(people: readonly SyntheticPatient[]): Index {
  const index: Index = { byNumber: new Map(), supersededBy: new Map(), byBirthDate: new Map() };
  for (const person of people) {
    if (index.byNumber.has(person.nhsNumber)) throw new Error(`synthetic PDS: ${person.nhsNumber} twice`);
    const postcodes = person.addresses.map((a) => normalisePostcode(a.postcode) ?? a.postcode);
    const current = person.addresses.findIndex((a) => a.to === undefined);
    const entry: Entry = {
      person,
      fhir: toFhirPatient(person),
      familyKey: nameKey(person.family),
      firstGivenKey: nameKey(person.given[0] ?? ''),
      allGivenKey: nameKey(person.given.join(' ')),
      postcodes: { ...(current >= 0 ? { current: postcodes[current] } : {}), all: postcodes },
    };
    index.byNumber.set(person.nhsNumber, entry);
    for (const old of person.superseded ?? []) index.supersededBy.set(old, person.nhsNumber);
    const sameDay = index.byBirthDate.get(person.birthDate) ?? [];
    sameDay.push(entry);
    index.byBirthDate.set(person.birthDate, sameDay);
  }
  for (const [old, current] of index.supersededBy) {
    if (index.byNumber.has(old))
      throw new Error(`synthetic PDS: ${old} is both current and superseded by ${current}`);
  }
  return index;
}

/** A query value, which may end in `*`, against a key. */
function like(pattern: string, key: string, normalise: (s: string) => string): boolean {
  return pattern.endsWith('*') ? key.startsWith(normalise(pattern.slice(0, -1))) : key === normalise(pattern);
}

const compactPostcode = (s: string) => s.replace(/\s+/gu, '').toUpperCase();

const invalid = (code: string, diagnostics: string): PdsError => ({
  kind: 'rejected',
  reason: 'invalid-request',
  status: 400,
  code,
  diagnostics,
});

export function createEmbeddedDemographics(options: EmbeddedDemographicsOptions = {}): EmbeddedDemographics {
  const today = options.today ?? (() => todayIso());
  let loading: Promise<Index> | undefined;
  const index = (): Promise<Index> => {
    loading ??= (
      options.patients
        ? Promise.resolve(options.patients)
        : loadSyntheticPatients(options.dataFile ?? DEFAULT_SYNTHETIC_DATA_FILE)
    )
      .then(buildIndex)
      .catch((e: unknown) => {
        loading = undefined;
        throw e;
      });
    return loading;
  };

  const summary = (
    entry: Entry,
    extra: { requestedNhsNumber?: string; score?: number } = {},
  ): PatientSummary => {
    const s = fromFhirPatient(entry.fhir, {
      today: today(),
      previousNhsNumbers: entry.person.superseded ?? [],
      ...extra,
    });
    if (!s) throw new Error(`synthetic PDS: ${entry.person.nhsNumber} does not make a FHIR Patient`);
    return s;
  };

  async function read(nhsNumber: string): Promise<Result<PdsReadResult, PdsError>> {
    const requested = normaliseNhsNumber(nhsNumber);
    if (!requested) return err(invalid('INVALID_RESOURCE_ID', 'Invalid resource ID'));
    const idx = await index();
    const found = idx.byNumber.get(requested);
    if (found) return ok({ kind: 'found', patient: summary(found) });
    const current = idx.supersededBy.get(requested);
    const entry = current ? idx.byNumber.get(current) : undefined;
    if (current && entry) {
      return ok({
        kind: 'superseded',
        requestedNhsNumber: requested,
        currentNhsNumber: current,
        patient: summary(entry, { requestedNhsNumber: requested }),
      });
    }
    return ok({ kind: 'not-found' });
  }

  async function search(query: PdsSearchQuery): Promise<Result<PdsSearchResult, PdsError>> {
    if (query.nhsNumber !== undefined) {
      const found = await read(query.nhsNumber);
      if (!found.ok) return found;
      const patients = found.value.kind === 'not-found' ? [] : [{ ...found.value.patient, score: 1 }];
      return ok({ patients, tooManyMatches: false });
    }
    const { familyName, birthDate } = query;
    if (!familyName || !birthDate) {
      return err(invalid('INVALID_SEARCH_DATA', 'A search needs at least a family name and a date of birth'));
    }
    if (!normaliseBirthDate(birthDate)) {
      return err(invalid('INVALID_SEARCH_DATA', `Invalid value - '${birthDate}' in field 'birthdate'`));
    }
    const maxResults = query.maxResults ?? DEFAULT_MAX_RESULTS;
    if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > MAX_RESULTS_LIMIT) {
      return err(invalid('INVALID_VALUE', `Invalid value - '${maxResults}' in field '_max-results'`));
    }
    const given = query.givenNames && query.givenNames.length > 0 ? query.givenNames.join(' ') : undefined;
    const idx = await index();
    const matches = (idx.byBirthDate.get(birthDate) ?? []).filter((e) => {
      if (!like(familyName, e.familyKey, nameKey)) return false;
      if (given && !like(given, e.firstGivenKey, nameKey) && !like(given, e.allGivenKey, nameKey))
        return false;
      if (query.gender && e.person.gender !== query.gender) return false;
      // As PDS: searching on location-sensitive fields never returns a restricted record.
      if ((query.postcode || query.gpOdsCode) && e.person.restricted) return false;
      if (query.gpOdsCode && e.person.gp !== query.gpOdsCode) return false;
      if (query.postcode) {
        const postcodes = query.history ? e.postcodes.all : e.postcodes.current ? [e.postcodes.current] : [];
        if (!postcodes.some((p) => like(query.postcode!, p, compactPostcode))) return false;
      }
      return true;
    });
    if (matches.length > maxResults) return ok({ patients: [], tooManyMatches: true });
    const patients = matches
      .sort((a, b) => a.person.nhsNumber.localeCompare(b.person.nhsNumber))
      .map((e) => summary(e, { score: 1 }));
    return ok({ patients, tooManyMatches: false });
  }

  return {
    read: (nhsNumber) => read(nhsNumber),
    search: (query) => search(query),
    async ready() {
      const idx = await index();
      return { patients: idx.byNumber.size, supersededNumbers: idx.supersededBy.size };
    },
  };
}
