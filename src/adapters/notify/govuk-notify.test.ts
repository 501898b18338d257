import { createHmac, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGovukNotifyNotifier, NotifyError } from './govuk-notify.js';

// Notify API keys are `keyname-<service id uuid>-<secret uuid>`.
const serviceId = randomUUID();
const secret = randomUUID();
const apiKey = `test_key-${serviceId}-${secret}`;

const templates = {
  emailCodeTemplateId: randomUUID(),
  smsCodeTemplateId: randomUUID(),
  emailNoticeTemplateId: randomUUID(),
};

interface Received {
  method: string;
  path: string;
  authorization: string;
  body: Record<string, unknown>;
}

type Reply = (req: IncomingMessage, res: ServerResponse) => void;

const created: Reply = (_req, res) => {
  res.writeHead(201, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ id: randomUUID(), content: { body: '' }, template: {}, uri: '' }));
};

let server: Server;
let baseUrl: string;
let received: Received[] = [];
let reply: Reply = created;

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({
        method: req.method ?? '',
        path: req.url ?? '',
        authorization: req.headers.authorization ?? '',
        body: JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>,
      });
      reply(req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(() => {
  received = [];
  reply = created;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function notifier(timeoutMs?: number) {
  return createGovukNotifyNotifier({ apiKey, ...templates, baseUrl: `${baseUrl}/`, timeoutMs });
}

function only(): Received {
  expect(received).toHaveLength(1);
  return received[0]!;
}

/** Checks the bearer token as Notify does: an HS256 JWT signed with the key's secret, issued by the service. */
function expectNotifyJwt(authorization: string): void {
  const match = /^Bearer ([\w-]+)\.([\w-]+)\.([\w-]+)$/.exec(authorization);
  expect(match).not.toBeNull();
  const [, header, payload, signature] = match!;
  expect(JSON.parse(Buffer.from(header!, 'base64url').toString())).toEqual({ typ: 'JWT', alg: 'HS256' });
  const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as { iss: string; iat: number };
  expect(claims.iss).toBe(serviceId);
  expect(Math.abs(claims.iat - Date.now() / 1000)).toBeLessThan(30);
  const expected = createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url');
  expect(signature).toBe(expected);
  expect(authorization).not.toContain(secret);
}

describe('GOV.UK Notify notifier', () => {
  it('sends text message codes through the SMS code template', async () => {
    await notifier().send({ type: 'sms-code', to: '+447700900123', code: '654321' });
    const r = only();
    expect(r.method).toBe('POST');
    expect(r.path).toBe('/v2/notifications/sms');
    expect(r.body).toEqual({
      template_id: templates.smsCodeTemplateId,
      phone_number: '+447700900123',
      personalisation: { code: '654321', expiry: '5 minutes' },
    });
    expectNotifyJwt(r.authorization);
  });

  it('sends email codes through the email code template', async () => {
    await notifier().send({
      type: 'email-code',
      to: 'alice@example.com',
      code: '123456',
      purpose: 'reset-password',
    });
    const r = only();
    expect(r.path).toBe('/v2/notifications/email');
    expect(r.body).toMatchObject({
      template_id: templates.emailCodeTemplateId,
      email_address: 'alice@example.com',
      personalisation: {
        code: '123456',
        expiry: '15 minutes',
        subject: 'Reset your NHS login password',
      },
    });
    const personalisation = r.body.personalisation as Record<string, string>;
    expect(Object.keys(personalisation).sort()).toEqual([
      'code',
      'expiry',
      'if_not_you',
      'purpose',
      'subject',
    ]);
    expectNotifyJwt(r.authorization);
  });

  it('sends every other email through the notice template as subject and body', async () => {
    await notifier().send({ type: 'email-already-registered', to: 'bob@example.com' });
    const r = only();
    expect(r.path).toBe('/v2/notifications/email');
    expect(r.body.template_id).toBe(templates.emailNoticeTemplateId);
    expect(r.body.email_address).toBe('bob@example.com');
    const personalisation = r.body.personalisation as Record<string, string>;
    expect(Object.keys(personalisation).sort()).toEqual(['body', 'subject']);
    expect(personalisation.subject).toBe('You already have an NHS login');
    expect(personalisation.body).toMatch(/Forgotten your password/);
    expectNotifyJwt(r.authorization);
  });

  it('sends support notices and erasure notices through the notice template', async () => {
    await notifier().send({ type: 'email-account-support-action', to: 'erin@example.com', action: 'locked' });
    await notifier().send({
      type: 'email-erasure-scheduled',
      to: 'erin@example.com',
      eraseOn: '3 March 2025',
      accountUrl: 'https://login.example.org/account',
    });
    await notifier().send({ type: 'email-erasure-cancelled', to: 'erin@example.com' });
    expect(received).toHaveLength(3);
    for (const r of received) {
      expect(r.path).toBe('/v2/notifications/email');
      expect(r.body.template_id).toBe(templates.emailNoticeTemplateId);
      expect(r.body.email_address).toBe('erin@example.com');
      expect(Object.keys(r.body.personalisation as object).sort()).toEqual(['body', 'subject']);
    }
    const subjects = received.map((r) => (r.body.personalisation as Record<string, string>).subject);
    expect(subjects).toEqual([
      'Your NHS login has been locked',
      'Your NHS login will be deleted',
      'Your NHS login will not be deleted',
    ]);
  });

  it('turns a 400 from Notify into a NotifyError without the API key', async () => {
    reply = (_req, res) => {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          status_code: 400,
          errors: [
            { error: 'BadRequestError', message: "Can't send to this recipient using a team-only API key" },
          ],
        }),
      );
    };
    const error = await notifier()
      .send({ type: 'sms-code', to: '+447700900123', code: '654321' })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(NotifyError);
    const e = error as NotifyError;
    expect(e.status).toBe(400);
    expect(e.messageType).toBe('sms-code');
    expect(e.errors).toEqual([
      { error: 'BadRequestError', message: "Can't send to this recipient using a team-only API key" },
    ]);
    expect(e.message).toBe(
      "GOV.UK Notify refused the sms-code message (400): BadRequestError: Can't send to this recipient using a team-only API key",
    );
    expect(e.cause).toBeUndefined();
    const everything = `${e.message} ${e.stack ?? ''} ${JSON.stringify(e)}`;
    expect(everything).not.toContain(secret);
    expect(everything).not.toContain(apiKey);
    expect(everything).not.toContain('Bearer');
  });

  it('gives up with a NotifyError when Notify does not answer', async () => {
    reply = () => {
      // never answers
    };
    const error = await notifier(200)
      .send({ type: 'email-no-account', to: 'carol@example.com' })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(NotifyError);
    expect((error as NotifyError).status).toBeUndefined();
  });

  it('reports an unreachable Notify as a NotifyError', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const error = await createGovukNotifyNotifier({
      apiKey,
      ...templates,
      baseUrl: `http://127.0.0.1:${port}`,
    })
      .send({ type: 'email-account-changed', to: 'dan@example.com', change: 'deleted' })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(NotifyError);
    expect((error as NotifyError).message).toMatch(/Could not reach GOV.UK Notify \(ECONNREFUSED/);
  });

  it('refuses an API key that is not in Notify’s format, without echoing it', () => {
    expect(() => createGovukNotifyNotifier({ apiKey: 'not-a-key', ...templates })).toThrow(
      /^The GOV.UK Notify API key is not in the form keyname-<service id>-<secret>$/,
    );
  });
});
