// Tells "the database or Redis is down" apart from a bug. While PostgreSQL
// or Redis cannot be reached (restart, failover, network, a full disk, a
// query cut off by the statement timeout), or the instance's own evidence
// volume is full, requests fail with connection
// errors; those deserve a 503 that says "try again shortly", which is true,
// rather than a 500 that says something is broken, which is not. Nothing is
// retried here: the next request simply finds the pool or Redis reconnected.

/** Node's socket errors when the other end is not there, or went away. */
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** A full disk or quota where the instance itself writes (photo ID evidence): "not now", too. */
const STORAGE_FULL_CODES = new Set(['ENOSPC', 'EDQUOT']);

/**
 * PostgreSQL SQLSTATEs that mean "not now" rather than "wrong": connection
 * exceptions (class 08), insufficient resources (53: disk full, out of
 * memory, too many connections), operator intervention (57: shutdown,
 * starting up, and 57014, a query cancelled by statement_timeout).
 */
const POSTGRES_TRANSIENT = /^(08|53|57)/;

/** Connection failures that node-postgres and ioredis report without a code. */
const MESSAGES = [
  'Connection terminated', // pg: the server or the network dropped the connection
  'timeout exceeded when trying to connect', // pg-pool: connectionTimeoutMillis
  'Client has encountered a connection error',
  'Cannot use a pool after calling end',
  "Stream isn't writeable", // ioredis while disconnected (enableOfflineQueue: false)
  'Connection is closed', // ioredis
  'max retries per request', // ioredis MaxRetriesPerRequestError
  'MISCONF', // Redis refusing writes: it could not save to disk (disk full)
  'OOM command not allowed', // Redis at maxmemory
];

function causes(error: unknown): unknown[] {
  const out: unknown[] = [];
  let current: unknown = error;
  for (let depth = 0; current && depth < 5; depth++) {
    out.push(current);
    if (current instanceof AggregateError) out.push(...current.errors);
    current = (current as { cause?: unknown }).cause;
  }
  return out;
}

/** True when `error` (or its cause) means the database or Redis could not be reached or answer. */
export function isUnavailable(error: unknown): boolean {
  return causes(error).some((e) => {
    if (!e || typeof e !== 'object') return false;
    const { code, message, name } = e as { code?: unknown; message?: unknown; name?: unknown };
    if (typeof code === 'string' && (SOCKET_CODES.has(code) || POSTGRES_TRANSIENT.test(code)))
      return typeof (e as { severity?: unknown }).severity === 'string' || SOCKET_CODES.has(code);
    if (typeof code === 'string' && STORAGE_FULL_CODES.has(code)) return true;
    if (name === 'MaxRetriesPerRequestError' || name === 'RateLimitsUnavailable') return true;
    return typeof message === 'string' && MESSAGES.some((m) => message.includes(m));
  });
}

/** How long to suggest waiting, seconds (Retry-After). */
export const RETRY_AFTER_SECONDS = 30;

/** The OAuth error body for /token and /userinfo (RFC 6749 4.1.2.1 names temporarily_unavailable). */
export const UNAVAILABLE_JSON = {
  error: 'temporarily_unavailable',
  error_description: 'The service is temporarily unavailable; try again shortly',
} as const;
