// A patient's account as support sees it: its state (locked, new password
// needed, deletion arranged), proofing level, GP practice, ways of signing
// in, services used, recent sign-ins and what support has done, with who
// and why. Opening it is audited (B-SUPPORT-VIEWED).
import { AUDIT_EVENTS } from '../../audit/events.js';
import { accountHistory } from '../../audit/history.js';
import { maskNhsNumber } from '../../domain/nhs-number.js';
import { listProofingAttempts, listServicesUsed, type Account } from '../../store/accounts.js';
import type { ProofingAttempt } from '../../store/schema.js';
import type { Db } from '../../store/db.js';
import { auditEventsOf } from '../../store/support.js';
import type { BackofficeKit } from '../kit.js';
import { patientFor } from './access.js';
import { noStore } from './form.js';
import { dateText, dateTimeText } from './format.js';

export interface AccountState {
  locked: boolean;
  resetRequired: boolean;
  eraseOn: string | undefined;
  /** One line for search results. */
  summary: string;
}

export function accountState(a: Account): AccountState {
  const eraseOn = a.erase_after ? dateText(new Date(a.erase_after)) : undefined;
  const parts = [
    a.locked_at ? 'Locked' : 'Active',
    ...(a.password_reset_required ? ['new password needed'] : []),
    ...(eraseOn ? [`to be deleted on ${eraseOn}`] : []),
  ];
  return {
    locked: a.locked_at !== null,
    resetRequired: a.password_reset_required,
    eraseOn,
    summary: parts.join(', '),
  };
}

export const LEVEL_TEXT: Record<Account['proofing_level'], string> = {
  P0: 'P0: email address and phone checked; has not proved who they are',
  P5: 'P5: matched to their NHS record',
  P9: 'P9: has proved who they are',
};

const SUSPENSION_TEXT: Record<string, string> = {
  superseded: 'their NHS number has been replaced on the national record',
  deceased: 'the national record says this person has died',
  'not-found': 'their NHS number is no longer on the national record',
  'details-changed': 'their name or date of birth no longer match the national record',
};

/** The level, and why a level is suspended (the re-check at sign-in): what support needs to explain it. */
export function levelText(a: Account): string {
  const held = a.proofing_suspended_level;
  if (!held) return LEVEL_TEXT[a.proofing_level];
  const why = SUSPENSION_TEXT[a.proofing_suspended_reason ?? ''] ?? 'the national record no longer matches';
  return `${held} suspended (suppliers see P0): ${why}. The patient must prove who they are again`;
}

const ROUTE_TEXT: Record<string, string> = {
  demographics: 'NHS record match',
  'gp-online-services': 'GP online services details',
  'photo-id': 'Photo ID and video',
  'in-person': 'In person',
};

/** Each proving attempt, newest first: what was tried, what it decided, and (when scored) why. */
function proofingHistory(attempts: ProofingAttempt[]) {
  return attempts.map((p) => {
    const gpg45 = p.evidence.gpg45 as { explanation?: unknown } | undefined;
    const why = Array.isArray(gpg45?.explanation)
      ? gpg45.explanation.filter((x) => typeof x === 'string')
      : [];
    return {
      when: dateTimeText(new Date(p.created_at)),
      route: ROUTE_TEXT[p.route] ?? p.route,
      outcome: p.outcome,
      level: p.level_given ?? 'None',
      why: why.join(' '),
    };
  });
}

/** The sign-in events support sees, and what each means. */
const SIGN_IN_EVENTS: Record<string, string> = {
  [AUDIT_EVENTS.SIGN_IN_COMPLETE]: 'Logged in',
  [AUDIT_EVENTS.SIGN_IN_SSO]: 'Logged in (already signed in)',
  [AUDIT_EVENTS.SIGN_IN_ASSERTED_IDENTITY]: 'Logged in (passed on by another service)',
  [AUDIT_EVENTS.SIGN_IN_PASSWORD_FAILED]: 'Wrong password',
  [AUDIT_EVENTS.SIGN_IN_LOCKED]: 'Too many wrong passwords: paused',
};

/** What support (and the patient, about support's actions) did to the account. */
export const SUPPORT_EVENTS: Record<string, string> = {
  [AUDIT_EVENTS.ACCOUNT_LOCKED]: 'Locked',
  [AUDIT_EVENTS.ACCOUNT_UNLOCKED]: 'Unlocked',
  [AUDIT_EVENTS.PASSWORD_RESET_REQUIRED]: 'New password required',
  [AUDIT_EVENTS.AUTHENTICATOR_REMOVED_BY_SUPPORT]: 'Authenticator app removed',
  [AUDIT_EVENTS.SUBJECT_ACCESS_EXPORTED]: 'Copy of their information made',
  [AUDIT_EVENTS.ERASURE_SCHEDULED]: 'Deletion arranged',
  [AUDIT_EVENTS.ERASURE_CANCELLED]: 'Deletion cancelled by the patient',
};

/** Staff names by id, for the history of support actions. */
async function staffNames(db: Db, ids: string[]): Promise<Map<string, string>> {
  if (!ids.length) return new Map();
  const rows = await db
    .selectFrom('staff_members')
    .select(['id', 'name', 'ods_code'])
    .where('id', 'in', [...new Set(ids)])
    .execute();
  return new Map(rows.map((r) => [r.id, `${r.name} (${r.ods_code})`]));
}

async function supplierNames(db: Db, ids: string[]): Promise<Map<string, string>> {
  if (!ids.length) return new Map();
  const rows = await db
    .selectFrom('suppliers')
    .select(['client_id', 'name'])
    .where('client_id', 'in', [...new Set(ids)])
    .execute();
  return new Map(rows.map((r) => [r.client_id, r.name]));
}

/** Banners after an action, by the action's path. Fixed text: a link cannot make the page claim anything else. */
export const DONE_TEXT: Record<string, string> = {
  lock: 'The account has been locked and its sessions ended. The patient has been told by email.',
  unlock: 'The account has been unlocked. The patient has been told by email.',
  'require-password-reset':
    'The patient must create a new password the next time they log in. They have been told by email.',
  'remove-authenticator': 'The authenticator app has been removed. The patient has been told by email.',
  erase: 'Deletion has been arranged. The patient has been told by email and can cancel it.',
};

export function registerPatientRoutes(kit: BackofficeKit): void {
  const { deps, route, staffOf, page } = kit;

  route('GET /backoffice/support/patients/:accountId', async (request, reply) => {
    const account = await patientFor(kit, request, reply);
    if (!account) return reply;
    const { staff } = staffOf(request);

    const [services, history, signIns, actions, devices, attempts] = await Promise.all([
      listServicesUsed(deps.db, account.id),
      accountHistory(deps.db, account.id, { limit: 20 }),
      auditEventsOf(deps.db, account.id, { codes: Object.keys(SIGN_IN_EVENTS), limit: 10 }),
      auditEventsOf(deps.db, account.id, { codes: Object.keys(SUPPORT_EVENTS), limit: 50 }),
      deps.db
        .selectFrom('remembered_devices')
        .select(({ fn }) => fn.countAll<number>().as('count'))
        .where('account_id', '=', account.id)
        .where('expires_at', '>', new Date())
        .executeTakeFirst(),
      listProofingAttempts(deps.db, account.id),
    ]);
    const staffIds = actions.flatMap((e) =>
      typeof e.details.staffId === 'string' ? [e.details.staffId] : [],
    );
    const [names, suppliers] = await Promise.all([
      staffNames(deps.db, staffIds),
      supplierNames(
        deps.db,
        signIns.flatMap((e) => (e.clientId ? [e.clientId] : [])),
      ),
    ]);

    await deps.audit.record({
      code: AUDIT_EVENTS.SUPPORT_VIEWED_ACCOUNT,
      accountId: account.id,
      ip: request.ip,
      details: { staffId: staff.id },
    });

    const done = (request.query as { done?: unknown }).done;
    const nhsNumber = account.nhs_number ? deps.sealer.open(account.nhs_number) : undefined;
    return page(noStore(reply), 'support/patient', {
      pageTitle: 'Patient account',
      done: typeof done === 'string' ? DONE_TEXT[done] : undefined,
      a: account,
      name: [account.given_name, account.family_name].filter(Boolean).join(' ') || 'Name not known',
      nhsNumber: nhsNumber ? maskNhsNumber(nhsNumber) : 'Not given',
      level: levelText(account),
      proofing: proofingHistory(attempts),
      state: accountState(account),
      lockedAt: account.locked_at ? dateTimeText(new Date(account.locked_at)) : undefined,
      createdAt: dateText(new Date(account.created_at)),
      hasApp: account.totp_secret !== null,
      rememberedDevices: Number(devices?.count ?? 0),
      services: services.map((s) => ({
        name: s.name,
        firstUsed: dateText(s.firstUsedAt),
        lastUsed: dateText(s.lastUsedAt),
      })),
      signIns: signIns.map((e) => ({
        when: dateTimeText(e.at),
        what: SIGN_IN_EVENTS[e.code] ?? e.code,
        service: e.clientId ? (suppliers.get(e.clientId) ?? e.clientId) : 'NHS login account',
        ip: e.ip ?? 'Not known',
      })),
      history: history.map((e) => ({ when: dateTimeText(e.at), what: e.description })),
      actions: actions.map((e) => ({
        when: dateTimeText(e.at),
        what: SUPPORT_EVENTS[e.code] ?? e.code,
        by:
          typeof e.details.staffId === 'string'
            ? (names.get(e.details.staffId) ?? 'A former member of staff')
            : 'The patient',
        reason: typeof e.details.reason === 'string' ? e.details.reason : '',
      })),
    });
  });
}
