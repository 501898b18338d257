// The PDS FHIR R4 API over HTTP: for the real service (integration or
// production, application-restricted access) or anything that speaks like it.
// Every failure to get an answer (timeout, network, 429, 5xx, a body that is
// not FHIR) is 'unavailable'; a request PDS refuses (400, 401, 403) is
// 'rejected'. Neither is ever "not found" or "no match".
import { randomUUID } from 'node:crypto';
import { normaliseNhsNumber } from '../../domain/nhs-number.js';
import { err, ok, type Result } from '../../domain/result.js';
import { fhirBundleSchema, fromFhirPatient, spineErrorCode, todayIso } from './fhir.js';
import type {
  Demographics,
  PatientSummary,
  PdsCallOptions,
  PdsError,
  PdsReadResult,
  PdsSearchQuery,
  PdsSearchResult,
  TokenProvider,
} from './port.js';

export interface HttpDemographicsOptions {
  /** E.g. https://int.api.service.nhs.uk/personal-demographics/FHIR/R4 */
  baseUrl: string;
  /** An OAuth 2 access token for each request (sent as a bearer token). */
  tokenProvider?: TokenProvider;
  /** Sent as the `apikey` header, for endpoints that take an API key instead. */
  apiKey?: string;
  /** Per request, including reading the body. Default 10 s. */
  timeoutMs?: number;
  fetch?: typeof globalThis.fetch;
  /** X-Request-ID: a fresh UUID per request. */
  newRequestId?: () => string;
  /** YYYY-MM-DD: which names and addresses are current. */
  today?: () => string;
}

export const DEFAULT_PDS_TIMEOUT_MS = 10_000;

interface Reply {
  status: number;
  body: unknown;
  retryAfter: string | null;
}

const unavailable = (
  reason: Extract<PdsError, { kind: 'unavailable' }>['reason'],
  status?: number,
): PdsError => ({
  kind: 'unavailable',
  reason,
  ...(status !== undefined ? { status } : {}),
});

/** An error status as a PdsError (404 is the caller's to interpret). */
function errorFor(reply: Reply): PdsError {
  const { status } = reply;
  const spine = spineErrorCode(reply.body);
  const rejected = (reason: Extract<PdsError, { kind: 'rejected' }>['reason']): PdsError => ({
    kind: 'rejected',
    reason,
    status,
    ...spine,
  });
  if (status === 400 || status === 404 || status === 412 || status === 422)
    return rejected('invalid-request');
  if (status === 401) return rejected('unauthorised');
  if (status === 403) return rejected('forbidden');
  if (status === 408 || status === 504) return unavailable('timeout', status);
  if (status === 429) {
    const seconds = Number(reply.retryAfter);
    return {
      kind: 'unavailable',
      reason: 'rate-limited',
      status,
      ...(reply.retryAfter && Number.isFinite(seconds) ? { retryAfterSeconds: seconds } : {}),
    };
  }
  if (status >= 500) return unavailable('server-error', status);
  return unavailable('bad-response', status);
}

const invalidQuery = (diagnostics: string): PdsError => ({
  kind: 'rejected',
  reason: 'invalid-request',
  code: 'INVALID_SEARCH_DATA',
  diagnostics,
});

export function createHttpDemographics(options: HttpDemographicsOptions): Demographics {
  const base = options.baseUrl.replace(/\/+$/, '');
  const doFetch = options.fetch ?? globalThis.fetch;
  const timeoutMs = options.timeoutMs ?? DEFAULT_PDS_TIMEOUT_MS;
  const newRequestId = options.newRequestId ?? randomUUID;
  const today = options.today ?? (() => todayIso());

  async function get(url: URL, call: PdsCallOptions | undefined): Promise<Result<Reply, PdsError>> {
    const headers: Record<string, string> = {
      Accept: 'application/fhir+json',
      'X-Request-ID': newRequestId(),
    };
    if (call?.correlationId) headers['X-Correlation-ID'] = call.correlationId;
    if (options.apiKey) headers.apikey = options.apiKey;
    if (options.tokenProvider) {
      try {
        headers.Authorization = `Bearer ${await options.tokenProvider()}`;
      } catch {
        return err(unavailable('no-token'));
      }
    }
    try {
      const response = await doFetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) });
      const text = await response.text();
      let body: unknown;
      try {
        body = text === '' ? undefined : JSON.parse(text);
      } catch {
        body = undefined;
      }
      return ok({ status: response.status, body, retryAfter: response.headers.get('retry-after') });
    } catch (e) {
      const name = e instanceof Error ? e.name : '';
      return err(unavailable(name === 'TimeoutError' || name === 'AbortError' ? 'timeout' : 'network'));
    }
  }

  async function read(nhsNumber: string, call?: PdsCallOptions): Promise<Result<PdsReadResult, PdsError>> {
    const requested = normaliseNhsNumber(nhsNumber);
    if (!requested) {
      return err({
        kind: 'rejected',
        reason: 'invalid-request',
        code: 'INVALID_RESOURCE_ID',
        diagnostics: 'Invalid NHS number',
      });
    }
    const reply = await get(new URL(`${base}/Patient/${requested}`), call);
    if (!reply.ok) return reply;
    const { status, body } = reply.value;
    if (status === 404) return ok({ kind: 'not-found' });
    if (status !== 200) return err(errorFor(reply.value));
    const patient = fromFhirPatient(body, { today: today(), requestedNhsNumber: requested });
    if (!patient) return err(unavailable('bad-response', status));
    if (patient.nhsNumber === requested) return ok({ kind: 'found', patient });
    return ok({
      kind: 'superseded',
      requestedNhsNumber: requested,
      currentNhsNumber: patient.nhsNumber,
      patient,
    });
  }

  async function search(
    query: PdsSearchQuery,
    call?: PdsCallOptions,
  ): Promise<Result<PdsSearchResult, PdsError>> {
    if (query.nhsNumber !== undefined) {
      // PDS has no search by NHS number: the record at that number is the candidate.
      const found = await read(query.nhsNumber, call);
      if (!found.ok) return found;
      const patients = found.value.kind === 'not-found' ? [] : [{ ...found.value.patient, score: 1 }];
      return ok({ patients, tooManyMatches: false });
    }
    if (!query.familyName || !query.birthDate) {
      return err(invalidQuery('A search needs at least a family name and a date of birth'));
    }
    const url = new URL(`${base}/Patient`);
    const params = url.searchParams;
    params.append('family', query.familyName);
    for (const given of query.givenNames ?? []) params.append('given', given);
    params.append('birthdate', `eq${query.birthDate}`);
    if (query.postcode) params.append('address-postalcode', query.postcode);
    if (query.gender) params.append('gender', query.gender);
    if (query.gpOdsCode) params.append('general-practitioner', query.gpOdsCode);
    if (query.history) params.append('_history', 'true');
    if (query.maxResults !== undefined) params.append('_max-results', String(query.maxResults));

    const reply = await get(url, call);
    if (!reply.ok) return reply;
    const { status, body } = reply.value;
    if (status !== 200) return err(errorFor(reply.value));
    if (spineErrorCode(body).code === 'TOO_MANY_MATCHES') return ok({ patients: [], tooManyMatches: true });
    const bundle = fhirBundleSchema.safeParse(body);
    if (!bundle.success) return err(unavailable('bad-response', status));
    const entries = bundle.data.entry ?? [];
    const patients: PatientSummary[] = [];
    for (const entry of entries) {
      const score = entry.search?.score;
      const patient = fromFhirPatient(entry.resource, {
        today: today(),
        ...(score !== undefined ? { score } : {}),
      });
      if (!patient) return err(unavailable('bad-response', status));
      patients.push(patient);
    }
    patients.sort((a, b) => (b.score ?? 0) - (a.score ?? 0));
    const tooManyMatches = (bundle.data.total ?? entries.length) > entries.length;
    return ok({ patients, tooManyMatches });
  }

  return { read, search };
}
