// "Remember this browser": after a text-message code, the browser may stand
// in for the phone (`Cd`) for 30 days. The cookie holds a random token; the
// database holds only its hash, tied to one account, so it can be revoked.
import { createHash, randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from '../store/db.js';

export const DEVICE_COOKIE = '__Host-nhsl-device';
export const REMEMBER_DAYS = 30;

const digest = (token: string) => createHash('sha256').update(token).digest('base64url');

export async function rememberDevice(db: Db, reply: FastifyReply, accountId: string): Promise<void> {
  const token = randomBytes(32).toString('base64url');
  const expiresAt = new Date(Date.now() + REMEMBER_DAYS * 24 * 60 * 60 * 1000);
  await db
    .insertInto('remembered_devices')
    .values({ id: digest(token), account_id: accountId, expires_at: expiresAt })
    .execute();
  void reply.setCookie(DEVICE_COOKIE, token, {
    path: '/',
    httpOnly: true,
    secure: true,
    sameSite: 'lax',
    expires: expiresAt,
  });
}

export async function isRememberedDevice(
  db: Db,
  request: FastifyRequest,
  accountId: string,
): Promise<boolean> {
  const token = request.cookies[DEVICE_COOKIE];
  if (!token) return false;
  const row = await db
    .selectFrom('remembered_devices')
    .select('id')
    .where('id', '=', digest(token))
    .where('account_id', '=', accountId)
    .where('expires_at', '>', new Date())
    .executeTakeFirst();
  return row !== undefined;
}

/** Forgets every remembered browser of an account (after a password or phone change). */
export async function forgetDevices(db: Db, accountId: string): Promise<void> {
  await db.deleteFrom('remembered_devices').where('account_id', '=', accountId).execute();
}
