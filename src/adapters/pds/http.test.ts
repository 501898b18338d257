// The HTTP adapter against a local server that answers as PDS does (FHIR
// JSON, OperationOutcome errors): no outside network.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { toFhirBundle, toFhirPatient } from './fhir.js';
import { createHttpDemographics, type HttpDemographicsOptions } from './http.js';
import { createDemographics } from './index.js';
import type { FhirPatient } from './port.js';
import { NAMED_TEST_PATIENTS } from './synthetic.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const PRIYA = toFhirPatient(NAMED_TEST_PATIENTS[0]!);
const DANIEL = toFhirPatient(NAMED_TEST_PATIENTS[1]!);

interface Seen {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
}

type Handler = (req: Seen, res: ServerResponse) => void;

let handler: Handler;
let seen: Seen[] = [];
let baseUrl: string;
const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const request = {
    method: req.method ?? '',
    path: url.pathname,
    query: url.searchParams,
    headers: req.headers,
  };
  seen.push(request);
  handler(request, res);
});

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/fhir+json', ...headers });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}

function outcome(code: string, diagnostics?: string) {
  return {
    resourceType: 'OperationOutcome',
    issue: [
      {
        severity: 'error',
        code: 'value',
        details: { coding: [{ system: 'https://fhir.nhs.uk/R4/CodeSystem/Spine-ErrorOrWarningCode', code }] },
        ...(diagnostics ? { diagnostics } : {}),
      },
    ],
  };
}

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/personal-demographics/FHIR/R4/`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  seen = [];
  handler = (_req, res) => send(res, 500, outcome('SERVICE_ERROR'));
});

const pds = (options: Partial<HttpDemographicsOptions> = {}) =>
  createHttpDemographics({
    baseUrl,
    tokenProvider: () => 'access-token-1',
    today: () => '2026-01-01',
    ...options,
  });

describe('HTTP PDS: the request', () => {
  it('reads GET {base}/Patient/{nhsNumber} with the token, a request id and FHIR JSON', async () => {
    handler = (_req, res) => send(res, 200, PRIYA);
    await pds().read('999 000 0018', { correlationId: 'journey-step-42' });
    expect(seen).toHaveLength(1);
    const [req] = seen;
    expect(req?.method).toBe('GET');
    expect(req?.path).toBe('/personal-demographics/FHIR/R4/Patient/9990000018');
    expect(req?.headers.authorization).toBe('Bearer access-token-1');
    expect(req?.headers['x-request-id']).toMatch(UUID);
    expect(req?.headers['x-correlation-id']).toBe('journey-step-42');
    expect(req?.headers.accept).toBe('application/fhir+json');
    expect(req?.headers.apikey).toBeUndefined();
  });

  it('uses a fresh request id each time and an async token provider', async () => {
    handler = (_req, res) => send(res, 200, PRIYA);
    let n = 0;
    const client = pds({ tokenProvider: () => Promise.resolve(`token-${++n}`) });
    await client.read('9990000018');
    await client.read('9990000018');
    expect(seen.map((s) => s.headers.authorization)).toEqual(['Bearer token-1', 'Bearer token-2']);
    expect(seen[0]?.headers['x-request-id']).not.toBe(seen[1]?.headers['x-request-id']);
    expect(seen[0]?.headers['x-correlation-id']).toBeUndefined();
  });

  it('sends an API key when configured with one', async () => {
    handler = (_req, res) => send(res, 200, PRIYA);
    await createHttpDemographics({ baseUrl, apiKey: 'key-123' }).read('9990000018');
    expect(seen[0]?.headers.apikey).toBe('key-123');
    expect(seen[0]?.headers.authorization).toBeUndefined();
  });

  it('searches with PDS query parameters', async () => {
    handler = (_req, res) => send(res, 200, toFhirBundle([{ patient: PRIYA }]));
    await pds().search({
      familyName: "O'Brien",
      givenNames: ['Mary', 'Jane'],
      birthDate: '1984-03-17',
      postcode: 'LS1 5HD',
      gender: 'female',
      gpOdsCode: 'A81001',
      history: true,
      maxResults: 2,
    });
    const [req] = seen;
    expect(req?.path).toBe('/personal-demographics/FHIR/R4/Patient');
    expect([...req!.query.entries()]).toEqual([
      ['family', "O'Brien"],
      ['given', 'Mary'],
      ['given', 'Jane'],
      ['birthdate', 'eq1984-03-17'],
      ['address-postalcode', 'LS1 5HD'],
      ['gender', 'female'],
      ['general-practitioner', 'A81001'],
      ['_history', 'true'],
      ['_max-results', '2'],
    ]);
    expect(req?.headers['x-request-id']).toMatch(UUID);
  });

  it('sends only what the query has', async () => {
    handler = (_req, res) => send(res, 200, toFhirBundle([]));
    await pds().search({ familyName: 'Ashworth', birthDate: '1984-03-17' });
    expect([...seen[0]!.query.keys()]).toEqual(['family', 'birthdate']);
  });

  it('does not call PDS for an invalid NHS number or a search without the minimum', async () => {
    expect(await pds().read('9990000019')).toMatchObject({
      ok: false,
      error: { kind: 'rejected', code: 'INVALID_RESOURCE_ID' },
    });
    expect(await pds().search({ familyName: 'Ashworth' })).toMatchObject({
      ok: false,
      error: { kind: 'rejected', code: 'INVALID_SEARCH_DATA' },
    });
    expect(seen).toEqual([]);
  });
});

describe('HTTP PDS: answers', () => {
  it('summarises a Patient', async () => {
    handler = (_req, res) => send(res, 200, PRIYA, { etag: 'W/"1"' });
    expect(await pds().read('9990000018')).toEqual({
      ok: true,
      value: {
        kind: 'found',
        patient: expect.objectContaining({
          nhsNumber: '9990000018',
          familyName: 'Ashworth',
          givenNames: ['Priya'],
          birthDate: '1984-03-17',
          postcode: 'LS1 5HD',
          gpOdsCode: 'A12345',
          deceased: false,
          versionId: '1',
        }) as unknown,
      },
    });
  });

  it('reads the older ODS system URL and a name with use official', async () => {
    const older: FhirPatient = {
      ...DANIEL,
      name: [{ use: 'official', family: 'Okafor', given: ['Daniel', 'Chukwuemeka'] }],
      generalPractitioner: [
        {
          identifier: {
            system: 'https://digital.nhs.uk/services/organisation-data-service',
            value: 'B82046',
          },
        },
      ],
    };
    handler = (_req, res) => send(res, 200, older);
    const result = await pds().read('9990000026');
    expect(result.ok && result.value.kind === 'found' && result.value.patient).toMatchObject({
      familyName: 'Okafor',
      givenNames: ['Daniel', 'Chukwuemeka'],
      gpOdsCode: 'B82046',
    });
  });

  it('prefers the current usual name and current home address', async () => {
    const changed: FhirPatient = {
      ...PRIYA,
      name: [
        {
          use: 'usual',
          family: 'Patel',
          given: ['Priya'],
          period: { start: '1984-03-17', end: '2010-06-01' },
        },
        { use: 'nickname', family: 'Ash', given: ['Pri'] },
        { use: 'usual', family: 'Ashworth', given: ['Priya'], period: { start: '2010-06-02' } },
      ],
      address: [
        { use: 'home', postalCode: 'M4 3AJ', period: { start: '2001-01-01', end: '2016-07-31' } },
        { use: 'temp', postalCode: 'EX4 4QJ', period: { start: '2025-01-01' } },
        { use: 'home', postalCode: 'LS1 5HD', period: { start: '2016-08-01' } },
      ],
    };
    handler = (_req, res) => send(res, 200, changed);
    const result = await pds().read('9990000018');
    expect(result.ok && result.value.kind === 'found' && result.value.patient).toMatchObject({
      familyName: 'Ashworth',
      postcode: 'LS1 5HD',
    });
  });

  it('recognises a superseded number by the different id', async () => {
    handler = (_req, res) => send(res, 200, DANIEL);
    expect(await pds().read('9990000018')).toMatchObject({
      ok: true,
      value: {
        kind: 'superseded',
        requestedNhsNumber: '9990000018',
        currentNhsNumber: '9990000026',
        patient: { nhsNumber: '9990000026', previousNhsNumbers: ['9990000018'] },
      },
    });
  });

  it('carries the deceased date', async () => {
    handler = (_req, res) => send(res, 200, { ...PRIYA, deceasedDateTime: '2024-02-01T10:00:00+00:00' });
    expect(await pds().read('9990000018')).toMatchObject({
      ok: true,
      value: { kind: 'found', patient: { deceased: true, deceasedDateTime: '2024-02-01T10:00:00+00:00' } },
    });
  });

  it('parses a search Bundle, best score first', async () => {
    handler = (_req, res) =>
      send(
        res,
        200,
        toFhirBundle(
          [
            { patient: DANIEL, score: 0.8976 },
            { patient: PRIYA, score: 1 },
          ],
          '2026-01-01T00:00:00+00:00',
        ),
      );
    const result = await pds().search({ familyName: 'Ashworth', birthDate: '1984-03-17' });
    expect(result.ok && result.value.tooManyMatches).toBe(false);
    expect(result.ok && result.value.patients.map((p) => [p.nhsNumber, p.score])).toEqual([
      ['9990000018', 1],
      ['9990000026', 0.8976],
    ]);
  });

  it('parses an empty Bundle as no candidates', async () => {
    handler = (_req, res) => send(res, 200, { resourceType: 'Bundle', type: 'searchset', total: 0 });
    expect(await pds().search({ familyName: 'Nobody', birthDate: '1984-03-17' })).toEqual({
      ok: true,
      value: { patients: [], tooManyMatches: false },
    });
  });

  it('treats TOO_MANY_MATCHES as too many, never as none', async () => {
    handler = (_req, res) => send(res, 200, outcome('TOO_MANY_MATCHES', 'Too Many Matches'));
    expect(await pds().search({ familyName: 'Smith', birthDate: '1984-03-17' })).toEqual({
      ok: true,
      value: { patients: [], tooManyMatches: true },
    });
  });

  it('treats a Bundle whose total is more than its entries as too many', async () => {
    handler = (_req, res) => send(res, 200, { ...toFhirBundle([{ patient: PRIYA }]), total: 3 });
    const result = await pds().search({ familyName: 'Ashworth', birthDate: '1984-03-17' });
    expect(result.ok && result.value.tooManyMatches).toBe(true);
  });

  it('searches by NHS number as a read', async () => {
    handler = (_req, res) => send(res, 200, DANIEL);
    const result = await pds().search({ nhsNumber: '9990000018' });
    expect(seen[0]?.path).toMatch(/\/Patient\/9990000018$/);
    expect(result.ok && result.value.patients.map((p) => [p.nhsNumber, p.previousNhsNumbers])).toEqual([
      ['9990000026', ['9990000018']],
    ]);
  });
});

describe('HTTP PDS: failures are never "no match"', () => {
  it('maps 404 on a read to not found', async () => {
    handler = (_req, res) => send(res, 404, outcome('RESOURCE_NOT_FOUND'));
    expect(await pds().read('9990000018')).toEqual({ ok: true, value: { kind: 'not-found' } });
    handler = (_req, res) => send(res, 404, outcome('INVALIDATED_RESOURCE'));
    expect(await pds().read('9990000018')).toEqual({ ok: true, value: { kind: 'not-found' } });
  });

  it('maps 400 to a rejected request with the Spine code', async () => {
    handler = (_req, res) =>
      send(res, 400, outcome('INVALID_SEARCH_DATA', "Invalid value - 'x' in field 'birthdate'"));
    expect(await pds().search({ familyName: 'Ashworth', birthDate: '1984-03-17' })).toEqual({
      ok: false,
      error: {
        kind: 'rejected',
        reason: 'invalid-request',
        status: 400,
        code: 'INVALID_SEARCH_DATA',
        diagnostics: "Invalid value - 'x' in field 'birthdate'",
      },
    });
  });

  it.each([
    [401, 'unauthorised', 'ACCESS_DENIED'],
    [403, 'forbidden', 'INVALID_VALUE'],
  ])('maps %i to rejected (%s)', async (status, reason, code) => {
    handler = (_req, res) => send(res, status, outcome(code));
    expect(await pds().read('9990000018')).toMatchObject({
      ok: false,
      error: { kind: 'rejected', reason, status, code },
    });
  });

  it('maps 429 to unavailable, with Retry-After', async () => {
    handler = (_req, res) => send(res, 429, outcome('TOO_MANY_REQUESTS'), { 'retry-after': '7' });
    expect(await pds().search({ familyName: 'Ashworth', birthDate: '1984-03-17' })).toEqual({
      ok: false,
      error: { kind: 'unavailable', reason: 'rate-limited', status: 429, retryAfterSeconds: 7 },
    });
  });

  it.each([500, 502, 503])('maps %i to unavailable', async (status) => {
    handler = (_req, res) => send(res, status, outcome('SERVICE_UNAVAILABLE'));
    expect(await pds().read('9990000018')).toEqual({
      ok: false,
      error: { kind: 'unavailable', reason: 'server-error', status },
    });
    expect(await pds().search({ familyName: 'Ashworth', birthDate: '1984-03-17' })).toMatchObject({
      ok: false,
      error: { kind: 'unavailable' },
    });
  });

  it('maps 408 and 504 (PDS timed out) to unavailable', async () => {
    for (const status of [408, 504]) {
      handler = (_req, res) => send(res, status, outcome('UNABLE_TO_CALL_SERVICE'));
      expect(await pds().read('9990000018')).toMatchObject({
        ok: false,
        error: { kind: 'unavailable', reason: 'timeout' },
      });
    }
  });

  it('times out a slow answer as unavailable', async () => {
    handler = () => {
      // never answers
    };
    const started = Date.now();
    expect(await pds({ timeoutMs: 150 }).read('9990000018')).toEqual({
      ok: false,
      error: { kind: 'unavailable', reason: 'timeout' },
    });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('times out a body that stops half way', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/fhir+json' });
      res.write('{"resourceType":"Patient",');
    };
    expect(await pds({ timeoutMs: 150 }).read('9990000018')).toMatchObject({
      ok: false,
      error: { kind: 'unavailable', reason: 'timeout' },
    });
  });

  it('maps a refused connection to unavailable', async () => {
    const closed = createHttpDemographics({ baseUrl: 'http://127.0.0.1:1/FHIR/R4', timeoutMs: 2_000 });
    expect(await closed.read('9990000018')).toEqual({
      ok: false,
      error: { kind: 'unavailable', reason: 'network' },
    });
  });

  it('maps a body that is not FHIR to unavailable', async () => {
    for (const body of [
      '<html>gateway</html>',
      '{"resourceType":"Patient"}',
      '{"resourceType":"Bundle","entry":[{"resource":{}}]}',
    ]) {
      handler = (_req, res) => send(res, 200, body);
      expect(await pds().read('9990000018'), body).toMatchObject({
        ok: false,
        error: { kind: 'unavailable', reason: 'bad-response' },
      });
      expect(await pds().search({ familyName: 'A', birthDate: '1984-03-17' }), body).toMatchObject({
        ok: false,
        error: { kind: 'unavailable', reason: 'bad-response' },
      });
    }
  });

  it('maps a token provider that fails to unavailable, without calling PDS', async () => {
    const client = pds({
      tokenProvider: () => Promise.reject(new Error('token endpoint down')),
    });
    expect(await client.read('9990000018')).toEqual({
      ok: false,
      error: { kind: 'unavailable', reason: 'no-token' },
    });
    expect(seen).toEqual([]);
  });
});

describe('createDemographics with a base URL', () => {
  it('uses the HTTP adapter', async () => {
    handler = (_req, res) => send(res, 200, PRIYA);
    const demographics = createDemographics({ pdsBaseUrl: baseUrl, tokenProvider: () => 't' });
    expect(await demographics.read('9990000018')).toMatchObject({ ok: true, value: { kind: 'found' } });
    expect(seen[0]?.headers.authorization).toBe('Bearer t');
  });
});
