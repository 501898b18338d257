// Authenticator apps (TOTP, RFC 6238): the `Ck` credential, a key shared
// with an app on the person's device. Codes are 6 digits every 30 seconds;
// one step either side is accepted for clock drift, and a step once used is
// refused again (no replay).
import { Secret, TOTP } from 'otpauth';

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
