// Where a person is in a journey, kept on the server (journey_sessions) and
// found again by a signed, Secure, host-only cookie. Nothing a person typed
// lives only in the browser, and nothing half-done reaches the accounts table:
// registration keeps its progress here until the account is made in one insert.
import { randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Credential, ProofingLevel } from '../domain/vectors-of-trust.js';
import type { Db } from '../store/db.js';

export const JOURNEY_COOKIE = '__Host-nhsl-journey';
/** A journey not touched for this long is forgotten. */
const JOURNEY_TTL_SECONDS = 60 * 60;
/** Signed in to manage the account, without activity: then sign in again. */
export const ACCOUNT_IDLE_SECONDS = 30 * 60;

/** A one-time code we sent and are waiting for. Only its hash is kept. */
export interface PendingCode {
  channel: 'email' | 'sms';
  recipient: string;
  hash: string;
  expiresAt: number;
  attempts: number;
}

/** The supplier authorization this journey is serving, from oidc-provider's interaction. */
export interface InteractionContext {
  uid: string;
  clientId: string;
  clientName: string;
  redirectUri: string;
  allowRegistration: boolean;
  /** The vtr list the supplier asked for (already validated). */
  vtr: string[];
  /** Signed in already (single sign-on session) and only stepping up. */
  sessionAccountId?: string;
  sessionCredentials?: Credential[];
}

export interface JourneyState {
  interaction?: InteractionContext;
  /**
   * Who has proved their password in this journey, and what else they have
   * shown. `rechecked`: their demographics were checked against PDS in this
   * sign-in already (once per sign-in, when it finishes, or by proving).
   */
  signIn?: {
    accountId: string;
    credentials: Credential[];
    level: ProofingLevel;
    rechecked?: boolean;
    /**
     * A delegate's answer to "whose care are you managing today?" (a supplier
     * asked for `delegations`): the grantor's account id, or 'self'.
     */
    actingFor?: string;
  };
  /** Signed in to the account pages. */
  account?: { accountId: string; lastSeen: number };
  register?: {
    email?: string;
    emailVerified?: boolean;
    passwordHash?: string;
    phone?: string;
  };
  reset?: { email?: string; emailVerified?: boolean; accountId?: string; secondFactorDone?: boolean };
  change?: { kind: 'email' | 'phone'; value: string };
  code?: PendingCode;
  /** Values a person typed into the last form that failed, to show again. */
  [key: string]: unknown;
}

export interface Journey {
  id: string;
  state: JourneyState;
}

export function createJourneyStore(db: Db) {
  return {
    async load(request: FastifyRequest): Promise<Journey | undefined> {
      const raw = request.cookies[JOURNEY_COOKIE];
      if (!raw) return undefined;
      const unsigned = request.unsignCookie(raw);
      if (!unsigned.valid || !unsigned.value) return undefined;
      const row = await db
        .selectFrom('journey_sessions')
        .select(['data'])
        .where('id', '=', unsigned.value)
        .where('expires_at', '>', new Date())
        .executeTakeFirst();
      return row ? { id: unsigned.value, state: row.data } : undefined;
    },

    /** Saves the state (a new journey when `journey` is undefined) and sets the cookie. */
    async save(reply: FastifyReply, journey: Journey | undefined, state: JourneyState): Promise<Journey> {
      const id = journey?.id ?? randomBytes(24).toString('base64url');
      const expiresAt = new Date(Date.now() + JOURNEY_TTL_SECONDS * 1000);
      const data = JSON.stringify(state);
      await db
        .insertInto('journey_sessions')
        .values({ id, data, expires_at: expiresAt })
        .onConflict((oc) => oc.column('id').doUpdateSet({ data, expires_at: expiresAt }))
        .execute();
      if (!journey) {
        void reply.setCookie(JOURNEY_COOKIE, id, {
          path: '/',
          httpOnly: true,
          secure: true,
          sameSite: 'lax',
          signed: true,
        });
      }
      return { id, state };
    },

    async end(reply: FastifyReply, journey: Journey | undefined): Promise<void> {
      if (journey) await db.deleteFrom('journey_sessions').where('id', '=', journey.id).execute();
      void reply.clearCookie(JOURNEY_COOKIE, { path: '/', secure: true, httpOnly: true, sameSite: 'lax' });
    },
  };
}

export type JourneyStore = ReturnType<typeof createJourneyStore>;

export async function purgeExpiredJourneys(db: Db): Promise<void> {
  await db.deleteFrom('journey_sessions').where('expires_at', '<', new Date()).execute();
}
