// Staff sessions: separate from patients' journeys, kept on the server
// (staff_sessions) and found by their own signed `__Host-` cookie. A session
// ends after 15 minutes without a request or 8 hours after signing in,
// whichever comes first; sensitive actions need a password and app code (or
// passkey) within the last 5 minutes.
import { randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from '../store/db.js';
import type { StaffMember } from '../store/schema.js';

export const STAFF_COOKIE = '__Host-nhsl-staff';
export const STAFF_IDLE_SECONDS = 15 * 60;
export const STAFF_ABSOLUTE_SECONDS = 8 * 60 * 60;
export const STAFF_REAUTH_SECONDS = 5 * 60;

export interface StaffSession {
  id: string;
  staff: StaffMember;
  createdAt: Date;
  authenticatedAt: Date;
}

const COOKIE_OPTIONS = { path: '/', httpOnly: true, secure: true, sameSite: 'lax' as const };

export function createStaffSessions(db: Db) {
  function sessionId(request: FastifyRequest): string | undefined {
    const raw = request.cookies[STAFF_COOKIE];
    if (!raw) return undefined;
    const unsigned = request.unsignCookie(raw);
    return unsigned.valid && unsigned.value ? unsigned.value : undefined;
  }

  return {
    /**
     * The signed-in staff member, with the idle clock restarted; undefined
     * (and the session deleted) when there is none, it has been idle too
     * long, it is older than the absolute limit, or the member is no longer active.
     */
    async load(request: FastifyRequest, now = new Date()): Promise<StaffSession | undefined> {
      const id = sessionId(request);
      if (!id) return undefined;
      const row = await db.selectFrom('staff_sessions').selectAll().where('id', '=', id).executeTakeFirst();
      if (!row) return undefined;
      const idle = now.getTime() - row.last_seen_at.getTime() > STAFF_IDLE_SECONDS * 1000;
      const old = now.getTime() - row.created_at.getTime() > STAFF_ABSOLUTE_SECONDS * 1000;
      const staff = await db
        .selectFrom('staff_members')
        .selectAll()
        .where('id', '=', row.staff_id)
        .executeTakeFirst();
      if (idle || old || !staff || staff.status !== 'active') {
        await db.deleteFrom('staff_sessions').where('id', '=', id).execute();
        return undefined;
      }
      await db.updateTable('staff_sessions').set({ last_seen_at: now }).where('id', '=', id).execute();
      return { id, staff, createdAt: row.created_at, authenticatedAt: row.authenticated_at };
    },

    /** Starts a session for a staff member who has just proved who they are. */
    async start(reply: FastifyReply, staffId: string): Promise<void> {
      const id = randomBytes(32).toString('base64url');
      await db.insertInto('staff_sessions').values({ id, staff_id: staffId }).execute();
      void reply.setCookie(STAFF_COOKIE, id, { ...COOKIE_OPTIONS, signed: true });
    },

    /** Records a fresh re-authentication. */
    async reauthenticated(session: StaffSession): Promise<void> {
      await db
        .updateTable('staff_sessions')
        .set({ authenticated_at: new Date() })
        .where('id', '=', session.id)
        .execute();
    },

    async end(request: FastifyRequest, reply: FastifyReply): Promise<void> {
      const id = sessionId(request);
      if (id) await db.deleteFrom('staff_sessions').where('id', '=', id).execute();
      void reply.clearCookie(STAFF_COOKIE, COOKIE_OPTIONS);
    },
  };
}

export type StaffSessions = ReturnType<typeof createStaffSessions>;

export function recentlyAuthenticated(session: StaffSession, now = Date.now()): boolean {
  return now - session.authenticatedAt.getTime() <= STAFF_REAUTH_SECONDS * 1000;
}

/** Ends every session of a staff member (after a role change, so new rights start from a new sign-in). */
export async function endSessionsOf(db: Db, staffId: string, except?: string): Promise<void> {
  let q = db.deleteFrom('staff_sessions').where('staff_id', '=', staffId);
  if (except) q = q.where('id', '!=', except);
  await q.execute();
}

/** Housekeeping: ended sessions and unanswered passkey challenges. */
export async function purgeExpiredStaffSessions(db: Db, now = Date.now()): Promise<void> {
  await db.deleteFrom('staff_challenges').where('expires_at', '<', new Date(now)).execute();
  await db
    .deleteFrom('staff_sessions')
    .where((eb) =>
      eb.or([
        eb('last_seen_at', '<', new Date(now - STAFF_IDLE_SECONDS * 1000)),
        eb('created_at', '<', new Date(now - STAFF_ABSOLUTE_SECONDS * 1000)),
      ]),
    )
    .execute();
}
