// Authenticator apps (TOTP, RFC 6238): the `Ck` credential, a key shared
// with an app on the person's device. Codes are 6 digits every 30 seconds;
// one step either side is accepted for clock drift, and a step once used is
// refused again (no replay).
import { Secret, TOTP } from 'otpauth';
import { AUDIT_EVENTS } from '../audit/events.js';
import type { AuditLog } from '../audit/log.js';
import type { RateLimits } from '../adapters/rate-limits.js';
import { err, ok, type Result } from '../domain/result.js';
import type { Account } from '../store/accounts.js';
import type { Db } from '../store/db.js';
import type { Sealer } from '../store/encryption.js';

const PERIOD = 30;

export function newAuthenticatorSecret(): string {
  return new Secret({ size: 20 }).base32;
}

export function authenticatorUri(secretBase32: string, email: string, issuerName = 'NHS login'): string {
  return new TOTP({
    issuer: issuerName,
    label: email,
    secret: Secret.fromBase32(secretBase32),
    period: PERIOD,
    digits: 6,
  }).toString();
}

/** Returns the time step the code belongs to, or undefined when it is wrong or already used. */
export function checkAuthenticatorCode(
  secretBase32: string,
  input: string,
  lastStep: number | null,
  now = Date.now(),
): number | undefined {
  const token = input.replace(/\s+/g, '');
  if (!/^\d{6}$/.test(token)) return undefined;
  const totp = new TOTP({ secret: Secret.fromBase32(secretBase32), period: PERIOD, digits: 6 });
  const delta = totp.validate({ token, timestamp: now, window: 1 });
  if (delta === null) return undefined;
  const step = Math.floor(now / 1000 / PERIOD) + delta;
  if (lastStep !== null && step <= lastStep) return undefined;
  return step;
}

/** The current code, for tests and for showing that setup worked. */
export function currentAuthenticatorCode(secretBase32: string, now = Date.now()): string {
  return new TOTP({ secret: Secret.fromBase32(secretBase32), period: PERIOD, digits: 6 }).generate({
    timestamp: now,
  });
}

export const WRONG_APP_CODE =
  'The security code is not correct. Enter the code your authenticator app shows now';

export interface AppCheckDeps {
  db: Db;
  sealer: Sealer;
  limits: RateLimits;
  audit: AuditLog;
}

/**
 * Checks a code from the account's authenticator app, within the limit on
 * wrong codes, and records the time step as used in the same statement that
 * checks it is newer than the last, so two requests racing with one code
 * cannot both pass.
 */
export async function verifyAuthenticatorApp(
  deps: AppCheckDeps,
  account: Pick<Account, 'id' | 'totp_secret' | 'totp_last_step'>,
  input: string,
  context: { ip: string; purpose?: string },
): Promise<Result<void, 'wrong' | 'too_many'>> {
  if (!account.totp_secret) return err('wrong');
  if (!(await deps.limits.check('codeFailuresPerSubject', account.id)).allowed) return err('too_many');
  const step = checkAuthenticatorCode(deps.sealer.open(account.totp_secret), input, account.totp_last_step);
  const claimed =
    step !== undefined &&
    (
      await deps.db
        .updateTable('accounts')
        .set({ totp_last_step: step })
        .where('id', '=', account.id)
        .where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', step)]))
        .executeTakeFirst()
    ).numUpdatedRows > 0n;
  const details = { factor: 'app', ...(context.purpose ? { purpose: context.purpose } : {}) };
  if (!claimed) {
    await deps.limits.hit('codeFailuresPerSubject', account.id);
    await deps.audit.record({
      code: AUDIT_EVENTS.SIGN_IN_SECOND_FACTOR_FAILED,
      accountId: account.id,
      ip: context.ip,
      details,
    });
    return err('wrong');
  }
  await deps.limits.reset('codeFailuresPerSubject', account.id);
  await deps.audit.record({
    code: AUDIT_EVENTS.SIGN_IN_SECOND_FACTOR_OK,
    accountId: account.id,
    ip: context.ip,
    details,
  });
  return ok(undefined);
}
