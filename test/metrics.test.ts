// Prometheus metrics on their own port (METRICS_PORT): HTTP traffic by route
// pattern, business events counted from the audit log (sign-ins, refusals,
// codes sent, token outcomes), the ID checker queue read at scrape time, and
// nothing at /metrics on the public port.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_EVENTS } from '../src/audit/events.js';
import { loadConfig } from '../src/config.js';
import { countEvent } from '../src/metrics/audit.js';
import { createMetrics } from '../src/metrics/registry.js';
import { findAccountByEmail } from '../src/store/accounts.js';
import { flagFraudSignal } from '../src/store/id-checks.js';
import { TestBrowser } from './support/browser.js';
import { signInThroughSupplier } from './support/flow.js';
import { startTestService, type TestService } from './support/service.js';
import { demoSupplier } from './support/supplier.js';
import { exchangeCode } from './support/token.js';

const P5 = { email: 'p5.patient@example.com', phone: '+447700900005' };

let service: TestService;

async function scrape(): Promise<string> {
  const res = await fetch(service.metrics!.url);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/plain');
  return res.text();
}

/** The value of one series, e.g. value(text, 'nhs_login_sign_ins_total', { via: 'credentials' }). */
function value(text: string, name: string, labels: Record<string, string> = {}): number {
  const line = text
    .split('\n')
    .find(
      (l) =>
        (l.startsWith(`${name}{`) || l.startsWith(`${name} `)) &&
        Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)),
    );
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

beforeAll(async () => {
  service = await startTestService({ env: { METRICS_PORT: '0' } });
});
afterAll(async () => {
  await service?.close();
});

describe('metrics', () => {
  it('listens on a port of its own, on loopback', () => {
    expect(service.metrics?.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    expect(service.metrics?.url).not.toContain(':3000/');
  });

  it('counts a supplier sign-in: requests by route pattern, the sign-in, the code sent, the token', async () => {
    const before = await scrape();
    const demo = demoSupplier();
    const browser = new TestBrowser(service.app);

    // A wrong password first: a sign-in failure.
    await browser.follow('/sign-in');
    await browser.post('/sign-in', { email: P5.email, password: 'not the password at all' });

    const cb = await signInThroughSupplier(service, browser, demo, P5, {
      vtr: '["P5.Cp.Cd"]',
      scope: 'openid profile',
    });
    const tokens = await exchangeCode(service.app, demo, cb.code!);
    expect(tokens.status).toBe(200);
    // The same code again: refused (invalid_grant), and counted as a reuse.
    expect((await exchangeCode(service.app, demo, cb.code!)).status).toBe(400);
    // Any other refusal at /token: a code that was never issued.
    expect((await exchangeCode(service.app, demo, 'not-a-code')).status).toBe(400);

    const after = await scrape();
    const moved = (name: string, labels: Record<string, string> = {}) =>
      value(after, name, labels) - value(before, name, labels);

    expect(moved('nhs_login_sign_ins_total', { via: 'credentials' })).toBe(1);
    expect(moved('nhs_login_sign_in_failures_total', { reason: 'password' })).toBe(1);
    expect(moved('nhs_login_one_time_codes_sent_total', { channel: 'sms' })).toBe(1);
    expect(moved('nhs_login_token_requests_total', { outcome: 'issued' })).toBe(1);
    expect(moved('nhs_login_token_requests_total', { outcome: 'code-reused' })).toBe(1);
    expect(moved('nhs_login_token_requests_total', { outcome: 'refused' })).toBe(1);
    expect(moved('nhs_login_audit_events_total', { code: 'S-SIGNED-IN' })).toBe(1);

    // Route patterns, never raw URLs (which carry interaction ids and codes).
    expect(moved('nhs_login_http_requests_total', { method: 'POST', route: '/token', status: '200' })).toBe(
      1,
    );
    expect(moved('nhs_login_http_requests_total', { method: 'POST', route: '/token', status: '400' })).toBe(
      2,
    );
    expect(moved('nhs_login_http_requests_total', { method: 'GET', route: '/authorize' })).toBeGreaterThan(0);
    expect(after).not.toMatch(/route="\/authorize\/[A-Za-z0-9_-]{10,}"/);
    expect(after).not.toMatch(/route="[^"]*\?/);
    expect(moved('nhs_login_http_request_duration_seconds_count', { method: 'POST', route: '/token' })).toBe(
      3,
    );
    expect(after).toMatch(
      /nhs_login_http_request_duration_seconds_bucket\{le="0\.1",method="POST",route="\/token"\}/,
    );

    // Process default metrics too.
    expect(after).toContain('process_cpu_user_seconds_total');
    expect(after).toContain('nodejs_eventloop_lag_seconds');
  });

  it('counts requests no route matched under one label', async () => {
    const before = await scrape();
    await service.app.inject({ method: 'GET', url: '/no-such-page/12345' });
    const after = await scrape();
    const labels = { method: 'GET', route: 'unmatched', status: '404' };
    expect(
      value(after, 'nhs_login_http_requests_total', labels) -
        value(before, 'nhs_login_http_requests_total', labels),
    ).toBe(1);
    expect(after).not.toContain('/no-such-page');
  });

  it('reads the ID checker queue from the database when scraped', async () => {
    expect(value(await scrape(), 'nhs_login_id_check_queue_length', { kind: 'fraud-signal' })).toBe(0);
    const account = await findAccountByEmail(service.database.db, P5.email);
    await flagFraudSignal(service.database.db, {
      accountId: account!.id,
      signal: 'deceased-match',
      summary: {},
    });
    const text = await scrape();
    expect(value(text, 'nhs_login_id_check_queue_length', { kind: 'fraud-signal' })).toBe(1);
    expect(value(text, 'nhs_login_id_check_queue_length', { kind: 'photo-id' })).toBe(0);
  });

  it('is not served on the public port', async () => {
    const res = await service.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(404);
  });

  it('answers nothing but /metrics on its own port', async () => {
    const res = await fetch(service.metrics!.url.replace('/metrics', '/health/live'));
    expect(res.status).toBe(404);
  });
});

describe('business events from the audit log', () => {
  it('counts proving outcomes by route and outcome, and keeps free text out of labels', async () => {
    const metrics = createMetrics();
    countEvent(metrics, {
      code: AUDIT_EVENTS.IDENTITY_PROVED,
      details: { route: 'demographics', level: 'P5' },
    });
    countEvent(metrics, {
      code: AUDIT_EVENTS.PROOFING_MATCH_FAILED,
      details: { route: 'gp-online-services' },
    });
    countEvent(metrics, { code: AUDIT_EVENTS.PHOTO_ID_REFERRED, details: { checkId: 'c1' } });
    countEvent(metrics, { code: AUDIT_EVENTS.IDENTITY_PROVED, details: { route: 'Robert"); drop table' } });
    const text = await metrics.registry.metrics();
    const proofing = (labels: Record<string, string>) =>
      value(text, 'nhs_login_proofing_outcomes_total', labels);
    expect(proofing({ route: 'demographics', outcome: 'proved' })).toBe(1);
    expect(proofing({ route: 'gp-online-services', outcome: 'no-match' })).toBe(1);
    expect(proofing({ route: 'photo-id', outcome: 'referred' })).toBe(1);
    expect(proofing({ route: 'other', outcome: 'proved' })).toBe(1);
    expect(text).not.toContain('drop table');
  });
});

describe('configuration', () => {
  it('has no metrics listener unless METRICS_PORT is set, and binds loopback by default', () => {
    expect(loadConfig({ NODE_ENV: 'test' }).metrics).toBeUndefined();
    expect(loadConfig({ NODE_ENV: 'test', METRICS_PORT: '9464' }).metrics).toEqual({
      host: '127.0.0.1',
      port: 9464,
    });
    expect(() => loadConfig({ NODE_ENV: 'test', METRICS_PORT: 'nine' })).toThrow(/METRICS_PORT/);
  });
});
