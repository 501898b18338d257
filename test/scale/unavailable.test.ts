// Which failures count as "the database or Redis is down" (answered 503)
// and which stay bugs (500): src/web/unavailable.ts. The fault tests show
// the real errors end to end; this pins down the edges without servers.
import { describe, expect, it } from 'vitest';
import { isUnavailable } from '../../src/web/unavailable.js';

const pgError = (code: string) => Object.assign(new Error('pg'), { code, severity: 'ERROR' });

describe('isUnavailable', () => {
  it('recognises connection failures to PostgreSQL and Redis', () => {
    expect(
      isUnavailable(
        Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
      ),
    ).toBe(true);
    expect(isUnavailable(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isUnavailable(new Error('timeout exceeded when trying to connect'))).toBe(true);
    expect(isUnavailable(new Error("Stream isn't writeable and enableOfflineQueue options is false"))).toBe(
      true,
    );
    expect(isUnavailable(Object.assign(new Error('x'), { name: 'MaxRetriesPerRequestError' }))).toBe(true);
    // Redis refusing writes because it cannot persist (disk full) or is out of memory.
    expect(
      isUnavailable(
        new Error(
          'MISCONF Redis is configured to save RDB snapshots, but it is currently not able to persist on disk.',
        ),
      ),
    ).toBe(true);
    expect(isUnavailable(new Error("OOM command not allowed when used memory > 'maxmemory'."))).toBe(true);
    // Wrapped by whoever caught it first.
    expect(isUnavailable(new Error('saving the journey failed', { cause: pgError('57P01') }))).toBe(true);
  });

  it('recognises PostgreSQL saying "not now": disk full, too many connections, statement timeout, shutdown', () => {
    for (const code of ['53100', '53300', '57014', '57P03', '08006'])
      expect(isUnavailable(pgError(code))).toBe(true);
  });

  it('recognises a full disk or quota where the instance writes photo ID evidence', () => {
    for (const code of ['ENOSPC', 'EDQUOT'])
      expect(isUnavailable(Object.assign(new Error(`${code}: write`), { code }))).toBe(true);
    expect(isUnavailable(Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' }))).toBe(
      false,
    );
  });

  it('leaves bugs and bad data as they are', () => {
    expect(isUnavailable(new Error('boom'))).toBe(false);
    expect(isUnavailable(new TypeError("Cannot read properties of undefined (reading 'id')"))).toBe(false);
    expect(isUnavailable(pgError('23505'))).toBe(false); // unique violation
    expect(isUnavailable(pgError('42P01'))).toBe(false); // missing table: a deployment bug, not an outage
    expect(isUnavailable(Object.assign(new Error('x'), { code: '53100' }))).toBe(false); // not from PostgreSQL
    expect(isUnavailable(undefined)).toBe(false);
    expect(isUnavailable('ECONNREFUSED')).toBe(false);
  });
});
