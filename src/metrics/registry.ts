// The service's Prometheus metrics, in a registry of their own: never
// prom-client's global one, because tests run several services in one
// process and each must count only its own traffic.
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

export interface Metrics {
  registry: Registry;
  httpRequests: Counter<'method' | 'route' | 'status'>;
  httpDuration: Histogram<'method' | 'route'>;
  auditEvents: Counter<'code'>;
  signIns: Counter<'via'>;
  signInFailures: Counter<'reason'>;
  codesSent: Counter<'channel'>;
  proofingOutcomes: Counter<'route' | 'outcome'>;
  tokenRequests: Counter<'outcome'>;
}

/** Every metric this service exposes starts with this, so dashboards can find them. */
export const PREFIX = 'nhs_login_';

export function createMetrics(): Metrics {
  const registry = new Registry();
  // Process and Node.js metrics (CPU, memory, event loop lag, GC) under their usual names.
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    httpRequests: new Counter({
      name: `${PREFIX}http_requests_total`,
      help: 'HTTP requests answered, by method, route pattern and status code.',
      labelNames: ['method', 'route', 'status'],
      registers,
    }),
    httpDuration: new Histogram({
      name: `${PREFIX}http_request_duration_seconds`,
      help: 'Time to answer an HTTP request, by method and route pattern.',
      labelNames: ['method', 'route'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    auditEvents: new Counter({
      name: `${PREFIX}audit_events_total`,
      help: 'Security events recorded in the audit log, by their stable code (src/audit/events.ts).',
      labelNames: ['code'],
      registers,
    }),
    signIns: new Counter({
      name: `${PREFIX}sign_ins_total`,
      help: 'Sign-ins completed: credentials (password and second factor), sso or asserted-identity.',
      labelNames: ['via'],
      registers,
    }),
    signInFailures: new Counter({
      name: `${PREFIX}sign_in_failures_total`,
      help: 'Sign-in attempts refused: password, second-factor or locked.',
      labelNames: ['reason'],
      registers,
    }),
    codesSent: new Counter({
      name: `${PREFIX}one_time_codes_sent_total`,
      help: 'One-time security codes sent, by channel (email, sms).',
      labelNames: ['channel'],
      registers,
    }),
    proofingOutcomes: new Counter({
      name: `${PREFIX}proofing_outcomes_total`,
      help: 'Outcomes of proving identity, by route (demographics, gp-online-services, photo-id, in-person) and outcome.',
      labelNames: ['route', 'outcome'],
      registers,
    }),
    tokenRequests: new Counter({
      name: `${PREFIX}token_requests_total`,
      help: 'Token endpoint outcomes: issued, refreshed, exchanged, users-api-issued, or a refusal.',
      labelNames: ['outcome'],
      registers,
    }),
  };
}
