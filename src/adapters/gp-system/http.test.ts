// The HTTP GP system adapter against a local server: the requests it sends,
// how each answer maps, and that an outage is never "not verified". Then a
// round trip through a gateway that serves the embedded GP system over the
// same contract.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createEmbeddedGpSystem } from './embedded.js';
import { createHttpGpSystem } from './http.js';
import { createGpSystem } from './index.js';
import type { GpSystem, VerifyLinkageInput } from './port.js';

interface Seen {
  method: string;
  url: string;
  headers: FastifyRequest['headers'];
  body: unknown;
}

type Handler = (request: FastifyRequest, reply: FastifyReply) => unknown;

let server: FastifyInstance;
let baseUrl: string;
let seen: Seen[] = [];
let handler: Handler = () => ({});

beforeAll(async () => {
  server = Fastify();
  const record = (request: FastifyRequest, reply: FastifyReply) => {
    seen.push({ method: request.method, url: request.url, headers: request.headers, body: request.body });
    return handler(request, reply);
  };
  server.post('/im1/linkage/verify', record);
  server.post('/im1/linkage', record);
  await server.listen({ host: '127.0.0.1', port: 0 });
  baseUrl = `http://127.0.0.1:${(server.server.address() as AddressInfo).port}/im1/`;
});

afterAll(async () => {
  await server?.close();
});

beforeEach(() => {
  seen = [];
});

const OKAFOR: VerifyLinkageInput = {
  accountId: '1000000026',
  linkageKey: 'Xk9Dq2PvS7Lm3',
  odsCode: 'B82046',
  surname: 'Okafor',
  dateOfBirth: '1959-11-02',
};

const PATIENT = {
  nhsNumber: '9990000026',
  familyName: 'Okafor',
  givenNames: ['Daniel'],
  birthDate: '1959-11-02',
  postcode: 'M4 3AJ',
  odsCode: 'B82046',
};

const client = (options: { timeoutMs?: number } = {}): GpSystem =>
  createHttpGpSystem({ baseUrl, apiKey: 'test-api-key', newRequestId: () => 'request-1', ...options });

/** Answers every request with this status and body. */
function answer(status: number, body?: unknown, headers: Record<string, string> = {}): void {
  handler = (_request, reply) => {
    void reply.code(status).headers(headers);
    return body === undefined ? reply.send() : reply.send(body);
  };
}

describe('verifyLinkage over HTTP', () => {
  it('posts the details, tidied, as JSON with a bearer token, a request ID and the correlation ID', async () => {
    answer(200, { patient: PATIENT });
    await client().verifyLinkage(
      { ...OKAFOR, accountId: '1000 000 026', odsCode: 'b82046', surname: ' Okafor ' },
      { correlationId: 'journey-42' },
    );
    expect(seen).toHaveLength(1);
    const [request] = seen;
    expect(request?.method).toBe('POST');
    expect(request?.url).toBe('/im1/linkage/verify');
    expect(request?.headers.authorization).toBe('Bearer test-api-key');
    expect(request?.headers['content-type']).toBe('application/json');
    expect(request?.headers.accept).toBe('application/json');
    expect(request?.headers['x-request-id']).toBe('request-1');
    expect(request?.headers['x-correlation-id']).toBe('journey-42');
    expect(request?.body).toEqual({
      accountId: '1000000026',
      linkageKey: 'Xk9Dq2PvS7Lm3',
      odsCode: 'B82046',
      surname: 'Okafor',
      dateOfBirth: '1959-11-02',
    });
  });

  it('leaves out the surname and date of birth when not given, and sends no token when none is configured', async () => {
    answer(200, { patient: PATIENT });
    await createHttpGpSystem({ baseUrl }).verifyLinkage({
      accountId: '1000000026',
      linkageKey: 'Xk9Dq2PvS7Lm3',
      odsCode: 'B82046',
    });
    expect(seen[0]?.body).toEqual({
      accountId: '1000000026',
      linkageKey: 'Xk9Dq2PvS7Lm3',
      odsCode: 'B82046',
    });
    expect(seen[0]?.headers.authorization).toBeUndefined();
    expect(seen[0]?.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('maps 200 to verified, with the credentials the GP system returns or else the details sent', async () => {
    answer(200, { patient: PATIENT });
    expect(await client().verifyLinkage(OKAFOR)).toEqual({
      kind: 'verified',
      patient: PATIENT,
      credentials: { gp_user_id: '1000000026', gp_linkage_key: 'Xk9Dq2PvS7Lm3', gp_ods_code: 'B82046' },
    });
    answer(200, {
      patient: { ...PATIENT, odsCode: 'b82046', postcode: undefined },
      credentials: { accountId: '1000000026', linkageKey: 'Xk9Dq2PvS7Lm3', odsCode: 'b82046' },
    });
    const result = await client().verifyLinkage(OKAFOR);
    expect(result.kind === 'verified' && result.credentials.gp_ods_code).toBe('B82046');
    expect(result.kind === 'verified' && result.patient).toEqual({ ...PATIENT, postcode: undefined });
  });

  it('maps 404 and 422 to not-verified and 423 to locked', async () => {
    answer(404, { code: 'NOT_VERIFIED' });
    expect(await client().verifyLinkage(OKAFOR)).toEqual({ kind: 'not-verified' });
    answer(422, { code: 'INVALID_LINKAGE_DETAILS' });
    expect(await client().verifyLinkage(OKAFOR)).toEqual({ kind: 'not-verified' });
    answer(423, { code: 'LOCKED' });
    expect(await client().verifyLinkage(OKAFOR)).toEqual({ kind: 'locked' });
  });

  it('maps every other failure to unavailable, never to not-verified', async () => {
    const cases: [number, unknown, Record<string, string>, object][] = [
      [400, { code: 'BAD_REQUEST' }, {}, { reason: 'rejected', status: 400 }],
      [401, {}, {}, { reason: 'unauthorised', status: 401 }],
      [403, {}, {}, { reason: 'unauthorised', status: 403 }],
      [408, {}, {}, { reason: 'timeout', status: 408 }],
      [429, {}, { 'retry-after': '30' }, { reason: 'rate-limited', status: 429, retryAfterSeconds: 30 }],
      [500, {}, {}, { reason: 'server-error', status: 500 }],
      [502, 'Bad Gateway', {}, { reason: 'server-error', status: 502 }],
      [503, undefined, {}, { reason: 'server-error', status: 503 }],
      [504, {}, {}, { reason: 'timeout', status: 504 }],
      [302, undefined, { location: '/elsewhere' }, { reason: 'bad-response', status: 302 }],
      [
        200,
        { patient: { ...PATIENT, nhsNumber: '1234567890' } },
        {},
        { reason: 'bad-response', status: 200 },
      ],
      [200, { verified: true }, {}, { reason: 'bad-response', status: 200 }],
      [200, 'not json', { 'content-type': 'text/plain' }, { reason: 'bad-response', status: 200 }],
    ];
    for (const [status, body, headers, expected] of cases) {
      answer(status, body, headers);
      expect(await client().verifyLinkage(OKAFOR), `${status} ${JSON.stringify(body)}`).toEqual({
        kind: 'unavailable',
        ...expected,
      });
    }
  });

  it('gives up after the timeout as unavailable', async () => {
    handler = async (_request, reply) => {
      await new Promise((resolve) => setTimeout(resolve, 400));
      return reply.send({ patient: PATIENT });
    };
    const started = Date.now();
    expect(await client({ timeoutMs: 50 }).verifyLinkage(OKAFOR)).toEqual({
      kind: 'unavailable',
      reason: 'timeout',
    });
    expect(Date.now() - started).toBeLessThan(350);
  });

  it('reports a refused connection as unavailable (network)', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const gp = createHttpGpSystem({ baseUrl: `http://127.0.0.1:${port}` });
    expect(await gp.verifyLinkage(OKAFOR)).toEqual({ kind: 'unavailable', reason: 'network' });
    expect(await gp.issueLinkage({ nhsNumber: '9990000026', odsCode: 'B82046' })).toEqual({
      kind: 'unavailable',
      reason: 'network',
    });
  });
});

describe('issueLinkage over HTTP', () => {
  it('posts the NHS number and practice, and maps 201 to issued', async () => {
    answer(201, {
      accountId: '1000000026',
      linkageKey: 'Pq7Rs3Tu8Vw2X',
      odsCode: 'B82046',
      patient: PATIENT,
      replaced: true,
    });
    const result = await client().issueLinkage({ nhsNumber: '999 000 0026', odsCode: 'b82046' });
    expect(seen[0]?.url).toBe('/im1/linkage');
    expect(seen[0]?.body).toEqual({ nhsNumber: '9990000026', odsCode: 'B82046' });
    expect(seen[0]?.headers.authorization).toBe('Bearer test-api-key');
    expect(result).toEqual({
      kind: 'issued',
      details: { accountId: '1000000026', linkageKey: 'Pq7Rs3Tu8Vw2X', odsCode: 'B82046' },
      patient: PATIENT,
      replaced: true,
    });
  });

  it('maps 404 to not-registered and failures to unavailable', async () => {
    answer(404, {});
    expect(await client().issueLinkage({ nhsNumber: '9990000026', odsCode: 'A81001' })).toEqual({
      kind: 'not-registered',
    });
    answer(503, {});
    expect(await client().issueLinkage({ nhsNumber: '9990000026', odsCode: 'B82046' })).toEqual({
      kind: 'unavailable',
      reason: 'server-error',
      status: 503,
    });
    answer(200, { accountId: '1000000026' });
    expect(await client().issueLinkage({ nhsNumber: '9990000026', odsCode: 'B82046' })).toEqual({
      kind: 'unavailable',
      reason: 'bad-response',
      status: 200,
    });
  });
});

describe('a round trip through a gateway serving the embedded GP system', () => {
  it('answers over HTTP as the embedded system does in memory', async () => {
    const embedded = createEmbeddedGpSystem({ lockAfter: 2 });
    handler = async (request, reply) => {
      if (request.url.endsWith('/verify')) {
        const result = await embedded.verifyLinkage(request.body as VerifyLinkageInput);
        if (result.kind === 'verified') {
          const c = result.credentials;
          return {
            patient: result.patient,
            credentials: { accountId: c.gp_user_id, linkageKey: c.gp_linkage_key, odsCode: c.gp_ods_code },
          };
        }
        return reply
          .code(result.kind === 'locked' ? 423 : result.kind === 'not-verified' ? 404 : 503)
          .send({});
      }
      const issued = await embedded.issueLinkage(request.body as { nhsNumber: string; odsCode: string });
      if (issued.kind === 'issued') {
        return reply
          .code(201)
          .send({ ...issued.details, patient: issued.patient, replaced: issued.replaced });
      }
      return reply.code(issued.kind === 'not-registered' ? 404 : 503).send({});
    };
    const gp = createGpSystem({ baseUrl, apiKey: 'test-api-key', timeoutMs: 5_000 });
    expect(await gp.verifyLinkage(OKAFOR)).toEqual(await createEmbeddedGpSystem().verifyLinkage(OKAFOR));
    expect(await gp.verifyLinkage({ ...OKAFOR, odsCode: 'A81001' })).toEqual({ kind: 'not-verified' });
    expect(await gp.verifyLinkage({ ...OKAFOR, odsCode: 'A81001' })).toEqual({ kind: 'locked' });
    const issued = await gp.issueLinkage({ nhsNumber: '9990000026', odsCode: 'B82046' });
    if (issued.kind !== 'issued') throw new Error(`expected issued, got ${issued.kind}`);
    expect(issued.replaced).toBe(true);
    const again = await gp.verifyLinkage({ ...OKAFOR, linkageKey: issued.details.linkageKey });
    expect(again.kind === 'verified' && again.credentials.gp_linkage_key).toBe(issued.details.linkageKey);
    expect(await gp.issueLinkage({ nhsNumber: '9990000026', odsCode: 'A81001' })).toEqual({
      kind: 'not-registered',
    });
  });
});
