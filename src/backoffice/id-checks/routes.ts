// The ID checker queue in the back office: items flagged for a person to
// review. Today these are the fraud signals the proving journeys raise (a
// demographics match to a person who has died, GP online services details or
// an NHS number another account already holds, the proving limit hit); photo
// ID referrals are kind 'photo-id', reviewed and decided in photo-id-review.ts.
// A checker lists the open items (oldest first, filtered by kind, with how
// long each has waited), opens one (the account, the attempt's
// GPG45 evidence and explanation, the other account involved, earlier items
// for the account) and decides it once with a reason from a fixed list.
// Every view and decision is audited with the staff member. Checkers at the
// operator (X26) see every item; others only items about patients registered
// at their organisation. Nobody decides an item about their own NHS login.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AUDIT_EVENTS } from '../../audit/events.js';
import { findAccountById, type Account } from '../../store/accounts.js';
import {
  decideIdCheck,
  findIdCheck,
  idChecksForAccount,
  type IdCheck,
  type IdCheckSignal,
  type IdCheckStatus,
} from '../../store/id-checks.js';
import { listQueue } from '../../store/photo-id-review.js';
import type { IdCheckKind } from '../../store/schema.js';
import { lockAccount } from '../../store/support.js';
import { fields, type BackofficeKit, type Fields } from '../kit.js';
import { organisationFilter, seesOrganisation } from '../organisation.js';
import { isOwnAccount } from '../support/access.js';
import { REASON_MAX_LENGTH, keep, noStore, notifyPatient } from '../support/form.js';
import { dateTimeText } from '../support/format.js';
import { levelText } from '../support/patient.js';
import { APPROVE_REASONS, REJECT_REASONS, registerPhotoIdReview, waitedText } from './photo-id-review.js';

/** The signal in plain words, for the queue and the item. */
export const SIGNAL_TEXT: Record<IdCheckSignal, string> = {
  'deceased-match': 'Details matched a person who has died',
  'gp-linkage-in-use': 'GP online services details already used by another account',
  'nhs-number-in-use': 'NHS number already belongs to another account',
  'too-many-attempts': 'Too many attempts to prove who they are',
  'document-in-use': 'Photo ID document already used by another account',
  'face-in-use': 'Face matches a person on another account',
};

export const STATUS_TEXT: Record<IdCheckStatus, string> = {
  open: 'Open',
  approved: 'Approved',
  rejected: 'Rejected',
  dismissed: 'Dismissed',
};

interface Decision {
  value: string;
  text: string;
  hint: string;
  status: Exclude<IdCheckStatus, 'open'>;
  /** Locks the account (its owner is emailed that it is locked, never why). */
  locks?: boolean;
  /** A note is needed to explain this decision. */
  noteRequired?: boolean;
}

/** The fixed reasons a fraud signal is decided with. */
export const FRAUD_SIGNAL_DECISIONS: readonly Decision[] = [
  {
    value: 'confirmed-fraud',
    text: 'Confirmed fraud',
    hint: 'The account is locked. The patient is emailed that it is locked, without the reason.',
    status: 'rejected',
    locks: true,
    noteRequired: true,
  },
  {
    value: 'genuine-explained',
    text: 'Genuine, explained',
    hint: 'Nothing changes on the account. The item is dismissed.',
    status: 'dismissed',
  },
  {
    value: 'needs-more-evidence',
    text: 'Needs more evidence',
    hint: 'Nothing changes on the account. The person must prove who they are another way.',
    status: 'rejected',
    noteRequired: true,
  },
];

const decisionText = (value: string | null) =>
  [...FRAUD_SIGNAL_DECISIONS, ...APPROVE_REASONS, ...REJECT_REASONS].find((d) => d.value === value)?.text ??
  value ??
  '';

/** The kinds of item, for the queue's filter. */
export const KIND_TEXT: Record<IdCheckKind, string> = {
  'photo-id': 'Photo ID referrals',
  'fraud-signal': 'Fraud signals',
};

/** Control characters other than line breaks and tabs are taken out (jsonb cannot hold NUL). */
const CONTROL = /[^\P{Cc}\n\r\t]/gu;

/** Opaque ids only: anything else is simply not found. */
const CHECK_ID = /^[A-Za-z0-9-]{1,64}$/;

const signalText = (c: { signal: IdCheckSignal | null }) =>
  c.signal ? SIGNAL_TEXT[c.signal] : 'Photo ID and video to review';

/** A score or evidence part as read: numbers and words only. */
function part(value: unknown): string {
  return typeof value === 'number' || typeof value === 'string' ? String(value) : 'None';
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value ? value : undefined;
}

/** The attempt's GPG45 decision, for reading: never holds NHS numbers or keys. */
function gpg45Of(summary: Record<string, unknown>) {
  const g = summary.gpg45;
  if (!g || typeof g !== 'object') return undefined;
  const r = g as Record<string, unknown>;
  const list = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  const scores = (r.scores ?? {}) as Record<string, unknown>;
  const evidence = Array.isArray(scores.evidence) ? (scores.evidence as Record<string, unknown>[]) : [];
  return {
    confidence: str(r.confidence) ?? 'None',
    profile: str(r.profile) ?? 'None met',
    level: str(r.level) ?? 'None',
    explanation: list(r.explanation),
    scores: [
      ...evidence.map((e) => ({
        key: `Evidence: ${part(e.kind)}`,
        value: `strength ${part(e.strength)}, validity ${part(e.validity)}`,
      })),
      { key: 'Activity history', value: part(scores.activity) },
      { key: 'Identity fraud', value: part(scores.fraud) },
      { key: 'Verification', value: part(scores.verification) },
    ],
  };
}

export function registerIdCheckRoutes(kit: BackofficeKit): void {
  const { deps, route, staffOf, send } = kit;

  /** The item named by :checkId with its account, when this checker may open it; else the 404 or 403 page. */
  async function checkFor(
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<{ check: IdCheck; account: Account } | undefined> {
    const { staff } = staffOf(request);
    const { checkId } = request.params as { checkId?: string };
    const check = checkId && CHECK_ID.test(checkId) ? await findIdCheck(deps.db, checkId) : undefined;
    const account = check ? await findAccountById(deps.db, check.account_id) : undefined;
    if (!check || !account || !seesOrganisation(staff, account.gp_ods_code)) {
      kit.notFound(reply);
      return undefined;
    }
    if (isOwnAccount(staff, account)) {
      send(reply, 403, 'id-checks/own-account', { pageTitle: 'You cannot check your own NHS login' });
      return undefined;
    }
    return { check, account };
  }

  const photoIdReview = registerPhotoIdReview(kit, checkFor);

  async function itemPage(
    request: FastifyRequest,
    reply: FastifyReply,
    status: number,
    check: IdCheck,
    account: Account,
    extra: { values?: Fields; errors?: Fields; problem?: string; done?: boolean } = {},
  ) {
    const summary = check.summary;
    const attempt = check.proofing_attempt_id
      ? await deps.db
          .selectFrom('proofing_attempts')
          .selectAll()
          .where('id', '=', check.proofing_attempt_id)
          .executeTakeFirst()
      : undefined;
    const history = await idChecksForAccount(deps.db, account.id, check.id);
    const photoEvidence = await photoIdReview.fraudSignalEvidence(request, check, account);
    return send(noStore(reply), status, 'id-checks/item', {
      photoEvidence,
      pageTitle: signalText(check),
      c: check,
      signal: signalText(check),
      flagged: dateTimeText(new Date(check.created_at)),
      statusText: STATUS_TEXT[check.status],
      decided: check.decided_at
        ? {
            when: dateTimeText(new Date(check.decided_at)),
            reason: decisionText(check.decision_reason),
            by: check.decided_by,
            note: check.note,
          }
        : undefined,
      a: account,
      level: levelText(account),
      created: dateTimeText(new Date(account.created_at)),
      locked: account.locked_at ? dateTimeText(new Date(account.locked_at)) : undefined,
      attempt: attempt
        ? { when: dateTimeText(new Date(attempt.created_at)), route: attempt.route, outcome: attempt.outcome }
        : str(summary.route)
          ? { route: str(summary.route), outcome: str(summary.outcome) ?? 'Refused' }
          : undefined,
      gpg45: gpg45Of(summary),
      practice: str(summary.odsCode),
      otherAccountId: str(summary.otherAccountId),
      history: history.map((h) => ({
        id: h.id,
        when: dateTimeText(new Date(h.created_at)),
        signal: signalText(h),
        status: STATUS_TEXT[h.status],
        reason: decisionText(h.decision_reason),
      })),
      decisions: FRAUD_SIGNAL_DECISIONS.map((d) => ({
        value: d.value,
        text: d.text,
        hint: { text: d.hint },
        checked: (extra.values?.decision ?? '') === d.value,
      })),
      noteMax: REASON_MAX_LENGTH,
      values: extra.values ?? { decision: '', note: '' },
      errors: extra.errors,
      errorHrefs: { decision: '#decision' },
      problem: extra.problem,
      done: extra.done,
    });
  }

  route('GET /backoffice/id-checks', async (request, reply) => {
    const { staff } = staffOf(request);
    const { state: asked, kind: askedKind } = request.query as { state?: unknown; kind?: unknown };
    const state = asked === 'decided' ? 'decided' : 'open';
    const kind = askedKind === 'photo-id' || askedKind === 'fraud-signal' ? askedKind : undefined;
    const rows = await listQueue(deps.db, { state, kind, gpOdsCode: organisationFilter(staff) });
    const now = new Date();
    return send(noStore(reply), 200, 'id-checks/queue', {
      pageTitle: state === 'open' ? 'ID checks to review' : 'Decided ID checks',
      state,
      kind,
      kinds: Object.entries(KIND_TEXT).map(([value, text]) => ({ value, text })),
      items: rows.map((r) => ({
        id: r.id,
        when: dateTimeText(new Date(r.submitted_at ?? r.created_at)),
        waited: waitedText(new Date(r.submitted_at ?? r.created_at), now),
        kind: r.kind,
        signal:
          r.kind === 'photo-id' && r.asked_for_review
            ? 'Photo ID: the person asked for a person to check'
            : signalText(r),
        accountId: r.account_id,
        practice: r.gp_ods_code ?? 'Not known',
        status: STATUS_TEXT[r.status],
        decided: r.decided_at ? dateTimeText(new Date(r.decided_at)) : undefined,
        reason: decisionText(r.decision_reason),
      })),
    });
  });

  route('GET /backoffice/id-checks/:checkId', async (request, reply) => {
    const found = await checkFor(request, reply);
    if (!found) return reply;
    const { staff } = staffOf(request);
    await deps.audit.record({
      code: AUDIT_EVENTS.ID_CHECK_VIEWED,
      accountId: found.account.id,
      ip: request.ip,
      details: { staffId: staff.id, checkId: found.check.id, signal: found.check.signal },
    });
    const { done } = request.query as { done?: unknown };
    if (found.check.kind === 'photo-id')
      return photoIdReview.page(request, reply, 200, found, { done: done === 'yes' });
    return itemPage(request, reply, 200, found.check, found.account, { done: done === 'yes' });
  });

  route('POST /backoffice/id-checks/:checkId', async (request, reply) => {
    const found = await checkFor(request, reply);
    if (!found) return reply;
    if (found.check.kind === 'photo-id') return photoIdReview.decide(request, reply, found);
    const { check, account } = found;
    const { staff } = staffOf(request);
    const f = fields(request);
    const values = keep(f, ['decision', 'note']);
    const errors: Fields = {};
    const decision = FRAUD_SIGNAL_DECISIONS.find((d) => d.value === f.decision);
    if (!decision) errors.decision = 'Select a decision';
    const note = (f.note ?? '').replace(CONTROL, '').trim();
    if (note.length > REASON_MAX_LENGTH)
      errors.note = `Note must be ${REASON_MAX_LENGTH} characters or fewer`;
    else if (decision?.noteRequired && !note) errors.note = 'Enter a note explaining the decision';
    if (!decision || Object.keys(errors).length)
      return itemPage(request, reply, 400, check, account, { values, errors });

    if (
      check.status !== 'open' ||
      !(await decideIdCheck(deps.db, check.id, {
        status: decision.status,
        staffId: staff.id,
        reason: decision.value,
        note: note || null,
      }))
    ) {
      const now = (await findIdCheck(deps.db, check.id)) ?? check;
      return itemPage(request, reply, 409, now, account, {
        values,
        problem: 'This item has already been decided. Nothing was changed.',
      });
    }
    const locked = decision.locks ? await lockAccount(deps.db, account.id) : false;
    await deps.audit.record({
      code: AUDIT_EVENTS.ID_CHECK_DECIDED,
      accountId: account.id,
      ip: request.ip,
      details: {
        staffId: staff.id,
        checkId: check.id,
        signal: check.signal,
        status: decision.status,
        reason: decision.value,
        ...(note ? { note } : {}),
        ...(locked ? { accountLocked: true } : {}),
      },
    });
    if (locked) {
      // The same record support's lock leaves, so the account's history reads alike.
      await deps.audit.record({
        code: AUDIT_EVENTS.ACCOUNT_LOCKED,
        accountId: account.id,
        ip: request.ip,
        details: { staffId: staff.id, reason: `ID check ${check.id}: ${decision.text}` },
      });
      await notifyPatient(deps.notifier, request, {
        type: 'email-account-support-action',
        to: account.email,
        action: 'locked',
      });
    }
    return reply.redirect(`/backoffice/id-checks/${check.id}?done=yes`, 303);
  });
}
