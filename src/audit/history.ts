// A person's own recent activity, read from the audit log for the "Your
// recent activity" page: the events a patient would recognise, in plain
// English, newest first. Internal steps (a password that was right, tokens
// issued to suppliers, operator events) are left out, and so is any code
// this file does not know.
import { sql } from 'kysely';
import type { Db } from '../store/db.js';
import { AUDIT_EVENTS } from './events.js';

export interface HistoryEntry {
  id: number;
  at: Date;
  code: string;
  /** What happened, in plain English. */
  description: string;
  /** The person's IP address; null when not known, and for what support staff did. */
  ip: string | null;
  /** Done by NHS login support staff rather than the person. */
  bySupport: boolean;
}

export const HISTORY_DEFAULT_LIMIT = 20;
const HISTORY_MAX_LIMIT = 100;

/** What a service is called when its supplier has since been removed. */
const UNNAMED_SERVICE = 'an NHS website or app';

interface Row {
  code: string;
  details: Record<string, unknown>;
  service: string | null;
  clientId: string | null;
}

type Describe = (row: Row) => string;

const loggedIn: Describe = (r) =>
  r.clientId ? `You logged in to ${r.service ?? UNNAMED_SERVICE}` : 'You logged in to your NHS login account';

/** Plain-English text for each code a patient should see. Anything else is left out. */
const DESCRIPTIONS: Partial<Record<string, Describe>> = {
  [AUDIT_EVENTS.SIGN_IN_COMPLETE]: loggedIn,
  [AUDIT_EVENTS.SIGN_IN_SSO]: loggedIn,
  [AUDIT_EVENTS.SIGN_IN_ASSERTED_IDENTITY]: loggedIn,
  [AUDIT_EVENTS.SIGN_IN_PASSWORD_FAILED]: () => 'Someone entered a wrong password for your account',
  [AUDIT_EVENTS.SIGN_IN_LOCKED]: () =>
    'Your account was locked for a while because of too many wrong passwords',
  // A wrong text or email code: C-CODE-FAILED. A wrong authenticator-app code has only S-SECOND-FACTOR-FAILED.
  [AUDIT_EVENTS.SIGN_IN_SECOND_FACTOR_FAILED]: () =>
    'Someone entered a wrong security code from your authenticator app',
  [AUDIT_EVENTS.CODE_SENT]: (r) =>
    r.details.channel === 'email'
      ? 'We sent a security code by email'
      : 'We sent a security code to your mobile phone',
  [AUDIT_EVENTS.CODE_FAILED]: () => 'Someone entered a wrong security code',
  [AUDIT_EVENTS.ACCOUNT_CREATED]: () => 'You created your NHS login',
  [AUDIT_EVENTS.PASSWORD_CHANGED]: () => 'You changed your password',
  [AUDIT_EVENTS.PASSWORD_RESET]: () => 'You reset your password',
  [AUDIT_EVENTS.EMAIL_CHANGED]: () => 'You changed your email address',
  [AUDIT_EVENTS.PHONE_CHANGED]: () => 'You changed your mobile phone number',
  [AUDIT_EVENTS.AUTHENTICATOR_APP_ADDED]: () => 'You set up an authenticator app',
  [AUDIT_EVENTS.AUTHENTICATOR_APP_REMOVED]: () => 'You removed your authenticator app',
  [AUDIT_EVENTS.DEVICE_REMEMBERED]: () =>
    'You chose to be remembered on a device, so it does not ask for a security code',
  [AUDIT_EVENTS.SIGNED_OUT]: (r) =>
    r.clientId ? `You logged out of ${r.service ?? UNNAMED_SERVICE}` : 'You logged out',
  // What NHS login support did to the account (the reason stays with support).
  [AUDIT_EVENTS.ACCOUNT_LOCKED]: () => 'NHS login support locked your account',
  [AUDIT_EVENTS.ACCOUNT_UNLOCKED]: () => 'NHS login support unlocked your account',
  [AUDIT_EVENTS.PASSWORD_RESET_REQUIRED]: () =>
    'NHS login support asked you to create a new password the next time you log in',
  [AUDIT_EVENTS.AUTHENTICATOR_REMOVED_BY_SUPPORT]: () => 'NHS login support removed your authenticator app',
  [AUDIT_EVENTS.SUBJECT_ACCESS_EXPORTED]: () =>
    'NHS login support made a copy of the information we hold about you',
  [AUDIT_EVENTS.ERASURE_SCHEDULED]: () => 'NHS login support arranged for your NHS login to be deleted',
  [AUDIT_EVENTS.ERASURE_CANCELLED]: () => 'You cancelled the deletion of your NHS login',
  // Proving who you are. A failed match and a deceased person's record read the
  // same here as on the page, so this page cannot say whether someone has died.
  [AUDIT_EVENTS.IDENTITY_PROVED]: (r) =>
    r.details.route === 'demographics'
      ? 'You proved who you are by matching your details to your NHS record'
      : r.details.route === 'gp-online-services'
        ? 'You proved who you are with the details your GP surgery gave you for its online services'
        : r.details.route === 'photo-id'
          ? 'You proved who you are with photo ID and a video'
          : r.details.route === 'in-person'
            ? 'You proved who you are in person at your GP surgery'
            : 'You proved who you are',
  [AUDIT_EVENTS.PROOFING_MATCH_FAILED]: () =>
    'Someone tried to prove who you are, but we could not confirm the details they entered',
  [AUDIT_EVENTS.PROOFING_DECEASED_MATCH]: () =>
    'Someone tried to prove who you are, but we could not confirm the details they entered',
  [AUDIT_EVENTS.PROOFING_NHS_NUMBER_IN_USE]: () =>
    'Someone tried to prove who you are with details that another NHS login already uses',
  [AUDIT_EVENTS.PROOFING_GP_LINKAGE_IN_USE]: () =>
    'Someone tried to prove who you are with GP online services details that another NHS login already uses',
  [AUDIT_EVENTS.PROOFING_LIMITED]: () =>
    'Proving who you are was paused for a while because of too many tries',
  [AUDIT_EVENTS.PHOTO_ID_REFERRED]: () => 'You sent your photo ID and video to be checked',
  // Helping someone manage their care (the record sits on whoever acted).
  [AUDIT_EVENTS.DELEGATION_INVITED]: () => 'You invited someone to help manage your care',
  [AUDIT_EVENTS.DELEGATION_ACCEPTED]: () => 'An invitation to help manage care was accepted',
  [AUDIT_EVENTS.DELEGATION_CHANGED]: () => 'What someone can do to help manage care was changed',
  [AUDIT_EVENTS.DELEGATION_REVOKED]: () => 'Someone stopped helping manage care',
  [AUDIT_EVENTS.TOKEN_EXCHANGED]: (r) =>
    `Someone you gave access to acted for you through ${r.service ?? UNNAMED_SERVICE}`,
  [AUDIT_EVENTS.PROOFING_LEVEL_SUSPENDED]: () =>
    'We could not confirm your details with your NHS record when you logged in, so you need to prove who you are again',
};

/** Done by support staff: their IP address is theirs, not the person's, so it is not shown. */
const BY_STAFF = new Set<string>([
  AUDIT_EVENTS.ACCOUNT_LOCKED,
  AUDIT_EVENTS.ACCOUNT_UNLOCKED,
  AUDIT_EVENTS.PASSWORD_RESET_REQUIRED,
  AUDIT_EVENTS.AUTHENTICATOR_REMOVED_BY_SUPPORT,
  AUDIT_EVENTS.SUBJECT_ACCESS_EXPORTED,
  AUDIT_EVENTS.ERASURE_SCHEDULED,
]);

/** The codes always shown; S-SECOND-FACTOR-FAILED only for the app, as text codes have C-CODE-FAILED. */
const SHOWN_CODES = Object.keys(DESCRIPTIONS).filter(
  (code) => code !== AUDIT_EVENTS.SIGN_IN_SECOND_FACTOR_FAILED,
);

/** The person's most recent events a patient should see, newest first, described in plain English. */
export async function accountHistory(
  db: Db,
  accountId: string,
  options: { limit?: number } = {},
): Promise<HistoryEntry[]> {
  const wanted = Math.trunc(options.limit ?? HISTORY_DEFAULT_LIMIT);
  const limit = Math.min(HISTORY_MAX_LIMIT, Math.max(1, Number.isFinite(wanted) ? wanted : 1));
  const rows = await db
    .selectFrom('audit_events')
    .leftJoin('suppliers', 'suppliers.client_id', 'audit_events.client_id')
    .select([
      'audit_events.id',
      'audit_events.at',
      'audit_events.code',
      'audit_events.client_id',
      'audit_events.ip',
      'audit_events.details',
      'suppliers.name',
    ])
    .where('audit_events.account_id', '=', accountId)
    .where((eb) =>
      eb.or([
        eb('audit_events.code', 'in', SHOWN_CODES),
        eb.and([
          eb('audit_events.code', '=', AUDIT_EVENTS.SIGN_IN_SECOND_FACTOR_FAILED),
          eb(sql<string>`audit_events.details->>'factor'`, '=', 'app'),
        ]),
      ]),
    )
    // Appends are serialised, so the id is the order they happened in.
    .orderBy('audit_events.id', 'desc')
    .limit(limit)
    .execute();
  return rows.flatMap((r) => {
    const describe = DESCRIPTIONS[r.code];
    if (!describe) return [];
    const details = r.details && typeof r.details === 'object' ? r.details : {};
    return [
      {
        id: Number(r.id),
        at: new Date(r.at),
        code: r.code,
        description: describe({ code: r.code, details, service: r.name, clientId: r.client_id }),
        ip: BY_STAFF.has(r.code) ? null : r.ip,
        bySupport: BY_STAFF.has(r.code),
      },
    ];
  });
}
