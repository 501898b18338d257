// The GP system over HTTP: for an IM1 gateway (a service that pairs with the
// GP systems' patient facing services and speaks this small JSON API), or
// anything that answers like it. IM1 itself differs per GP system supplier
// (EMIS's me/applications, TPP's LinkAccount, ...); this contract is what we
// assume such a gateway offers, kept as close to them as a common shape allows.
//
// Assumed endpoints (JSON in and out, `Authorization: Bearer <apiKey>`, a UUID
// `X-Request-ID` per request and an optional `X-Correlation-ID`):
//
//   POST {base}/linkage/verify
//     { "accountId", "linkageKey", "odsCode", "surname"?, "dateOfBirth"? }
//     200 { "patient": { "nhsNumber", "familyName", "givenNames": [..],
//           "birthDate", "postcode"?, "odsCode" },
//           "credentials"?: { "accountId", "linkageKey", "odsCode" } }
//                                     -> verified (credentials default to the details sent)
//     404 or 422                      -> not-verified (no such details, or they do not match)
//     423                             -> locked (too many wrong tries at the GP system)
//
//   POST {base}/linkage
//     { "nhsNumber", "odsCode" }
//     200 or 201 { "accountId", "linkageKey", "odsCode", "patient": {..}, "replaced"? }
//                                     -> issued
//     404                             -> not-registered
//
// For both: 400 -> unavailable (rejected: our request was malformed), 401/403
// -> unavailable (unauthorised: our credentials), 408/504 and a timeout ->
// unavailable (timeout), 429 -> unavailable (rate-limited, with Retry-After),
// other 5xx -> unavailable (server-error), a network failure -> unavailable
// (network), and a body that does not fit -> unavailable (bad-response).
// Nothing but 404/422 ever becomes not-verified.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { isValidNhsNumber } from '../../domain/nhs-number.js';
import { normaliseLinkageDetails, normaliseOdsCode, toCredentials } from './details.js';
import type {
  GpPatient,
  GpSystem,
  GpSystemCallOptions,
  GpSystemUnavailable,
  IssueLinkageInput,
  IssueLinkageResult,
  VerifyLinkageInput,
  VerifyLinkageResult,
} from './port.js';

export interface HttpGpSystemOptions {
  /** E.g. https://im1-gateway.example.nhs.uk/v1 */
  baseUrl: string;
  /** Sent as a bearer token with every request. */
  apiKey?: string;
  /** Per request, including reading the body. Default 10 s. */
  timeoutMs?: number;
  fetch?: typeof globalThis.fetch;
  /** X-Request-ID: a fresh UUID per request. */
  newRequestId?: () => string;
}

export const DEFAULT_GP_SYSTEM_TIMEOUT_MS = 10_000;

const patientSchema = z.object({
  nhsNumber: z.string().refine(isValidNhsNumber),
  familyName: z.string().min(1),
  givenNames: z.array(z.string()),
  birthDate: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  postcode: z.string().optional(),
  odsCode: z.string().min(1),
});

const detailsSchema = z.object({
  accountId: z.string().min(1),
  linkageKey: z.string().min(1),
  odsCode: z.string().min(1),
});

const verifiedSchema = z.object({ patient: patientSchema, credentials: detailsSchema.optional() });
const issuedSchema = detailsSchema.extend({ patient: patientSchema, replaced: z.boolean().optional() });

interface Reply {
  status: number;
  body: unknown;
  retryAfter: string | null;
}

const unavailable = (reason: GpSystemUnavailable['reason'], status?: number): GpSystemUnavailable => ({
  kind: 'unavailable',
  reason,
  ...(status !== undefined ? { status } : {}),
});

/** Any status the caller did not handle, as unavailable. */
function unavailableFor(reply: Reply): GpSystemUnavailable {
  const { status } = reply;
  if (status === 400) return unavailable('rejected', status);
  if (status === 401 || status === 403) return unavailable('unauthorised', status);
  if (status === 408 || status === 504) return unavailable('timeout', status);
  if (status === 429) {
    const seconds = Number(reply.retryAfter);
    return {
      ...unavailable('rate-limited', status),
      ...(reply.retryAfter && Number.isFinite(seconds) ? { retryAfterSeconds: seconds } : {}),
    };
  }
  if (status >= 500) return unavailable('server-error', status);
  return unavailable('bad-response', status);
}

function gpPatient(p: z.infer<typeof patientSchema>): GpPatient {
  return {
    nhsNumber: p.nhsNumber,
    familyName: p.familyName,
    givenNames: p.givenNames,
    birthDate: p.birthDate,
    ...(p.postcode ? { postcode: p.postcode } : {}),
    odsCode: normaliseOdsCode(p.odsCode),
  };
}

export function createHttpGpSystem(options: HttpGpSystemOptions): GpSystem {
  const base = options.baseUrl.replace(/\/+$/, '');
  const doFetch = options.fetch ?? globalThis.fetch;
  const timeoutMs = options.timeoutMs ?? DEFAULT_GP_SYSTEM_TIMEOUT_MS;
  const newRequestId = options.newRequestId ?? randomUUID;

  async function post(
    path: string,
    body: unknown,
    call: GpSystemCallOptions | undefined,
  ): Promise<Reply | GpSystemUnavailable> {
    const headers: Record<string, string> = {
      Accept: 'application/json',
      'Content-Type': 'application/json',
      'X-Request-ID': newRequestId(),
    };
    if (call?.correlationId) headers['X-Correlation-ID'] = call.correlationId;
    if (options.apiKey) headers.Authorization = `Bearer ${options.apiKey}`;
    try {
      const response = await doFetch(`${base}${path}`, {
        method: 'POST',
        headers,
        body: JSON.stringify(body),
        // A redirect is not an answer (followed, it could end at some page's 404).
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      });
      const text = await response.text();
      let parsed: unknown;
      try {
        parsed = text === '' ? undefined : JSON.parse(text);
      } catch {
        parsed = undefined;
      }
      return { status: response.status, body: parsed, retryAfter: response.headers.get('retry-after') };
    } catch (e) {
      const name = e instanceof Error ? e.name : '';
      return unavailable(name === 'TimeoutError' || name === 'AbortError' ? 'timeout' : 'network');
    }
  }

  async function verifyLinkage(
    input: VerifyLinkageInput,
    call?: GpSystemCallOptions,
  ): Promise<VerifyLinkageResult> {
    const details = normaliseLinkageDetails(input);
    const reply = await post(
      '/linkage/verify',
      {
        ...details,
        ...(input.surname !== undefined ? { surname: input.surname.trim() } : {}),
        ...(input.dateOfBirth !== undefined ? { dateOfBirth: input.dateOfBirth.trim() } : {}),
      },
      call,
    );
    if ('kind' in reply) return reply;
    const { status } = reply;
    if (status === 404 || status === 422) return { kind: 'not-verified' };
    if (status === 423) return { kind: 'locked' };
    if (status !== 200) return unavailableFor(reply);
    const parsed = verifiedSchema.safeParse(reply.body);
    if (!parsed.success) return unavailable('bad-response', status);
    const credentials = parsed.data.credentials ? normaliseLinkageDetails(parsed.data.credentials) : details;
    return {
      kind: 'verified',
      patient: gpPatient(parsed.data.patient),
      credentials: toCredentials(credentials),
    };
  }

  async function issueLinkage(
    input: IssueLinkageInput,
    call?: GpSystemCallOptions,
  ): Promise<IssueLinkageResult> {
    const reply = await post(
      '/linkage',
      { nhsNumber: input.nhsNumber.replace(/\s+/gu, ''), odsCode: normaliseOdsCode(input.odsCode) },
      call,
    );
    if ('kind' in reply) return reply;
    const { status } = reply;
    if (status === 404) return { kind: 'not-registered' };
    if (status !== 200 && status !== 201) return unavailableFor(reply);
    const parsed = issuedSchema.safeParse(reply.body);
    if (!parsed.success) return unavailable('bad-response', status);
    const { patient, replaced, ...details } = parsed.data;
    return {
      kind: 'issued',
      details: normaliseLinkageDetails(details),
      patient: gpPatient(patient),
      replaced: replaced ?? false,
    };
  }

  return { verifyLinkage, issueLinkage };
}
