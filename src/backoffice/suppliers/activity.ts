// A supplier's recent activity, from the audit log: people signed in, tokens
// issued and errors (authorization errors and failed client authentication)
// over the last 24 hours and 7 days, and its most recent errors.
import { sql } from 'kysely';
import { AUDIT_EVENTS } from '../../audit/events.js';
import type { Db } from '../../store/db.js';

const SIGN_INS: readonly string[] = [
  AUDIT_EVENTS.SIGN_IN_COMPLETE,
  AUDIT_EVENTS.SIGN_IN_SSO,
  AUDIT_EVENTS.SIGN_IN_ASSERTED_IDENTITY,
];
const TOKENS: readonly string[] = [AUDIT_EVENTS.TOKEN_ISSUED];
const ERRORS: readonly string[] = [AUDIT_EVENTS.AUTHORIZATION_ERROR, AUDIT_EVENTS.CLIENT_AUTH_FAILED];

const HOUR = 60 * 60 * 1000;
export const PERIODS = [
  { key: 'day', text: 'Last 24 hours', ms: 24 * HOUR },
  { key: 'week', text: 'Last 7 days', ms: 7 * 24 * HOUR },
] as const;

export interface ActivityCounts {
  period: string;
  signIns: number;
  tokens: number;
  errors: number;
}

export interface RecentError {
  at: Date;
  code: string;
  /** The OAuth error (invalid_client, invalid_scope...) the provider answered. */
  error: string;
  /** Where: authorize or token. */
  endpoint: string;
  detail: string;
}

export interface SupplierActivity {
  counts: ActivityCounts[];
  recentErrors: RecentError[];
}

const text = (v: unknown) => (typeof v === 'string' ? v : '');

export async function supplierActivity(
  db: Db,
  clientId: string,
  now = new Date(),
  recent = 10,
): Promise<SupplierActivity> {
  const [day, week] = PERIODS.map((p) => new Date(now.getTime() - p.ms)) as [Date, Date];
  const rows = await db
    .selectFrom('audit_events')
    .select([
      'code',
      sql<string>`count(*) filter (where at >= ${day})`.as('day'),
      sql<string>`count(*)`.as('week'),
    ])
    .where('client_id', '=', clientId)
    .where('at', '>=', week)
    .where('code', 'in', [...SIGN_INS, ...TOKENS, ...ERRORS])
    .groupBy('code')
    .execute();
  const sum = (codes: readonly string[], key: 'day' | 'week') =>
    rows.filter((r) => codes.includes(r.code)).reduce((n, r) => n + Number(r[key]), 0);
  const counts = PERIODS.map((p) => ({
    period: p.text,
    signIns: sum(SIGN_INS, p.key),
    tokens: sum(TOKENS, p.key),
    errors: sum(ERRORS, p.key),
  }));
  const errors = await db
    .selectFrom('audit_events')
    .select(['at', 'code', 'details'])
    .where('client_id', '=', clientId)
    .where('code', 'in', [...ERRORS])
    .orderBy('id', 'desc')
    .limit(recent)
    .execute();
  return {
    counts,
    recentErrors: errors.map((e) => ({
      at: new Date(e.at),
      code: e.code,
      error: text(e.details.error),
      endpoint: text(e.details.endpoint),
      detail: text(e.details.detail),
    })),
  };
}
