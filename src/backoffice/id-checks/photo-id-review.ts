// The ID checker's review of a photo ID check: what the automation could not
// decide, or what the person asked a person to check. The checker sees the
// document photo, the video and its sampled frames side by side, the four
// digits the person was asked to say, the document's details against the
// account's recorded name and date of birth, and every automated check in
// plain words; then approves or rejects once, with a reason from a fixed
// list. An approval raises the account to P9 with a GPG45 decision that holds
// the checker's review (scorePhotoId), so support and auditors can read why
// the person has P9; a rejection emails the person the reason's words.
//
// The evidence is served one item at a time from the encrypted evidence
// store, decrypted, never cached, and only for items the checker may open
// (their organisation, never their own NHS login): a document or face fraud
// signal also shows the other account's evidence when the checker may see
// that account.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { EvidenceStore } from '../../adapters/document-check/evidence-store.js';
import { AUDIT_EVENTS } from '../../audit/events.js';
import { decide } from '../../domain/gpg45.js';
import {
  PHOTO_DOCUMENTS,
  scorePhotoId,
  type ExpiryFact,
  type FaceFacts,
  type IdCheckerReview,
  type PhotoDocumentKind,
  type PhotoIdFacts,
} from '../../domain/gpg45-routes.js';
import {
  ACCEPTED_DOCUMENTS,
  FACE_THRESHOLDS,
  type CheckName,
  type CheckResult,
  type DocumentKind,
  type FailReason,
  type ReferReason,
} from '../../domain/photo-id.js';
import { gpg45Evidence } from '../../journeys/prove-identity/gp-details.js';
import { findAccountById, type Account } from '../../store/accounts.js';
import type { IdCheck } from '../../store/id-checks.js';
import {
  approvePhotoIdCheck,
  evidenceIdsOf,
  findPhotoIdCheck,
  latestPhotoIdCheckWithEvidence,
  rejectPhotoIdCheck,
  type PhotoIdCheck,
  type PhotoIdReviewRecord,
} from '../../store/photo-id-review.js';
import { fields, type BackofficeDeps, type BackofficeKit, type Fields } from '../kit.js';
import { seesOrganisation } from '../organisation.js';
import { isOwnAccount } from '../support/access.js';
import { REASON_MAX_LENGTH, keep, noStore, notifyPatient } from '../support/form.js';
import { dateText, dateTimeText } from '../support/format.js';
import { levelText } from '../support/patient.js';

export interface ApproveReason {
  readonly value: string;
  /** What the checker confirms, in words. */
  readonly text: string;
}

export interface RejectReason {
  readonly value: string;
  readonly text: string;
  /** The words the person is emailed and shown on their account: what happened and what to do. */
  readonly personText: string;
}

/** Why a checker approves: each says what they confirmed by looking. */
export const APPROVE_REASONS: readonly ApproveReason[] = [
  {
    value: 'document-and-face-match',
    text: 'The document is genuine and the person in the video is the person in its photo',
  },
  {
    value: 'name-change-explained',
    text: 'The name differs from the GP record for a reason that is clear (marriage, deed poll, spelling or a name cut short), and the document and face match',
  },
  {
    value: 'typed-details-confirmed',
    text: 'The details the person typed are the ones in the document photo, and the document and face match',
  },
  {
    value: 'no-expiry-date-confirmed',
    text: 'The document has no expiry date but is genuine and accepted, and the face matches',
  },
];

/** Why a checker rejects, with the words the person gets. */
export const REJECT_REASONS: readonly RejectReason[] = [
  {
    value: 'photo-unclear',
    text: 'The photo of the document is unclear',
    personText:
      'The photo of your ID was not clear enough for us to read it or see your face. Take a new photo in good light, with all 4 corners of your ID in the photo and no shine or glare.',
  },
  {
    value: 'video-unclear',
    text: 'The video is unclear',
    personText:
      'We could not see your face clearly in your video. Record it again somewhere well lit, looking at the camera with your whole face in view.',
  },
  {
    value: 'document-not-accepted',
    text: 'The document is not one we accept',
    personText:
      'The ID you used is not one we accept. You can use a passport, a photocard driving licence, a European national identity card or a UK biometric residence permit. It must be in date or have expired less than 12 months ago.',
  },
  {
    value: 'details-do-not-match',
    text: 'The name or date of birth does not match the GP record, with no clear reason',
    personText:
      'The name or date of birth on your ID does not match your GP record. If your GP record is wrong, ask your GP surgery to correct it, then try again.',
  },
  {
    value: 'face-does-not-match',
    text: 'The person in the video is not the person in the document photo',
    personText: 'We could not confirm that the person in your video is the person in the photo on your ID.',
  },
  {
    value: 'digits-not-said',
    text: 'The person did not say the 4 numbers they were shown',
    personText:
      'We could not see or hear you say the 4 numbers shown on the screen in your video. Record it again and say each number clearly.',
  },
  {
    value: 'more-than-one-person',
    text: 'More than one person is in the video',
    personText: 'There was more than one person in your video. Record it again on your own.',
  },
  {
    value: 'document-looks-altered',
    text: 'The document looks altered, copied or is a photo of a screen or printout',
    personText:
      'We could not confirm that your ID is genuine. Take a photo of the document itself, not a copy, a printout or a screen.',
  },
];

/** Each automated check in plain words. */
export const CHECK_TEXT: Readonly<Record<CheckName, string>> = {
  'document-accepted': 'Document is one we accept',
  'document-integrity': 'Document’s own check (check digits or licence number)',
  expiry: 'Expiry date',
  'details-source': 'How the details were read',
  'family-name': 'Last name against the GP record',
  'given-names': 'First names against the GP record',
  'birth-date': 'Date of birth against the GP record',
  'document-face': 'Face found on the document',
  'face-match': 'Face in the video against the document photo',
  liveness: 'A live person in the video',
  'spoken-digits': 'The 4 numbers said in the video',
};

export const RESULT_TEXT: Readonly<Record<CheckResult['result'], string>> = {
  pass: 'Passed',
  fail: 'Failed',
  refer: 'For you to check',
};

/** Why a check failed or was referred, in plain words. */
export const CHECK_REASON_TEXT: Readonly<Record<FailReason | ReferReason, string>> = {
  'document-not-accepted': 'This document is not one NHS login accepts',
  'document-details-invalid': 'The document’s own check failed',
  'document-expired': 'It expired 12 months or more ago',
  'birth-date-differs': 'The date of birth differs from the GP record',
  'no-face-on-document': 'No face was found on the document',
  'face-does-not-match': 'The faces do not match',
  'no-face-in-video': 'No face was found in the video',
  'no-expiry-date': 'The document shows no expiry date',
  'no-document-check': 'This document has no check digits to test',
  'details-typed-by-person': 'The person typed the details: compare them with the photo',
  'family-name-differs': 'The last name differs from the GP record',
  'given-names-differ': 'The first names differ from the GP record',
  'name-may-be-truncated': 'The name may be cut short on the document',
  'birth-date-century-differs': 'The date of birth differs only in the century',
  'birth-date-unknown': 'The date of birth could not be compared',
  'face-match-uncertain': 'The faces may match: too close for the machine to call',
  'too-few-frames': 'Too few frames of the video to judge',
  'face-missing-in-some-frames': 'No face in some frames',
  'more-than-one-face-in-video': 'More than one face in the video',
  'no-movement': 'The face hardly moves: watch the video',
  'video-may-show-different-people': 'The video may show different people',
  'spoken-digits-not-checked': 'No machine checked the 4 numbers were said: watch the video',
};

const VALUE_TEXT: Partial<Record<string, string>> = {
  'in-date': 'In date',
  'recently-expired': 'Expired less than 12 months ago (accepted)',
  'machine-read': 'Read by machine from the document',
  'typed-by-person': 'Typed by the person',
  'not-checked': 'Not checked',
};

/** A check's measured value in words. */
function valueText(c: { check: string; value?: unknown }): string {
  const v = c.value;
  if (v === undefined || v === null) return '';
  if (typeof v === 'number') {
    if (c.check === 'face-match')
      return `Distance ${v.toFixed(2)} (lower is more alike: below ${FACE_THRESHOLDS.strongMatch} is a clear match, ${FACE_THRESHOLDS.noMatch} or more no match)`;
    if (c.check === 'document-face') return `${v} ${v === 1 ? 'face' : 'faces'}`;
    if (c.check === 'liveness') return Number.isInteger(v) ? String(v) : `Movement ${v.toFixed(3)}`;
    return String(v);
  }
  return typeof v === 'string' ? (VALUE_TEXT[v] ?? v) : '';
}

const allReasons = (): readonly { value: string; text: string }[] => [...APPROVE_REASONS, ...REJECT_REASONS];

// ---------------------------------------------------------------------------
// Reading the stored check

const record = (v: unknown): Record<string, unknown> =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);

/** The automated checks stored with the decision; anything malformed is left out. */
export function checksOf(check: PhotoIdCheck): CheckResult[] {
  const list = record(check.decision).checks;
  if (!Array.isArray(list)) return [];
  return list.filter(
    (c): c is CheckResult =>
      !!c &&
      typeof c === 'object' &&
      typeof (c as Record<string, unknown>).check === 'string' &&
      ['pass', 'fail', 'refer'].includes((c as Record<string, unknown>).result as string),
  );
}

/** Why the automation referred it, in words (and whether the person asked for a person). */
function referralText(check: PhotoIdCheck): string[] {
  const reasons = record(check.decision).reasons;
  const words = Array.isArray(reasons)
    ? reasons
        .filter((r): r is string => typeof r === 'string')
        .map((r) => CHECK_REASON_TEXT[r as FailReason] ?? r)
    : [];
  return check.asked_for_review ? ['The person asked for a person to check their ID', ...words] : words;
}

const isoDate = (v: unknown): string | undefined =>
  typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v) ? v : undefined;
const dateWords = (v: unknown): string => {
  const d = isoDate(v);
  return d ? dateText(new Date(`${d}T12:00:00Z`)) : 'Not shown';
};

/** How long since, in words: "2 days 3 hours", "45 minutes". */
export function waitedText(since: Date, now: Date = new Date()): string {
  const minutes = Math.max(0, Math.floor((now.getTime() - since.getTime()) / 60_000));
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const mins = minutes % 60;
  const unit = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  if (days > 0) return hours > 0 ? `${unit(days, 'day')} ${unit(hours, 'hour')}` : unit(days, 'day');
  if (hours > 0) return mins > 0 ? `${unit(hours, 'hour')} ${unit(mins, 'minute')}` : unit(hours, 'hour');
  return minutes > 0 ? unit(minutes, 'minute') : 'Less than a minute';
}

/** Everything the evidence panel shows of one photo ID check, for one account. */
export function evidenceView(itemId: string, check: PhotoIdCheck, account: Account) {
  const url = (evidenceId: string) =>
    `/backoffice/id-checks/${encodeURIComponent(itemId)}/evidence/${encodeURIComponent(evidenceId)}`;
  const document = record(check.document);
  const details = record(document.details);
  const givenNames = Array.isArray(details.givenNames)
    ? details.givenNames.filter((g): g is string => typeof g === 'string').join(' ')
    : (str(details.givenNames) ?? '');
  const kind = str(check.document_kind) ?? str(document.kind);
  const kindName = kind && kind in ACCEPTED_DOCUMENTS ? ACCEPTED_DOCUMENTS[kind as DocumentKind].name : kind;
  const frames = Array.isArray(check.frame_ids)
    ? check.frame_ids.filter((f): f is string => typeof f === 'string')
    : [];
  return {
    checkId: check.id,
    accountId: account.id,
    photoUrl: check.document_photo_id ? url(check.document_photo_id) : undefined,
    videoUrl: check.video_id ? url(check.video_id) : undefined,
    frames: frames.map((f, i) => ({ url: url(f), n: i + 1 })),
    digits: check.digits,
    submitted: check.submitted_at ? dateTimeText(new Date(check.submitted_at)) : 'Not sent',
    document: {
      kind: kindName ?? 'Not known',
      issuingState: str(details.issuingState) ?? 'Not known',
      expiry: dateWords(details.expiryDate),
      lastFour: str(document.lastFour) ?? 'Not known',
      source: VALUE_TEXT[str(document.source) ?? ''] ?? 'Not known',
    },
    compare: [
      {
        what: 'Last name',
        document: str(details.familyName) ?? 'Not shown',
        account: account.family_name ?? 'Not recorded',
      },
      {
        what: 'First names',
        document: givenNames || 'Not shown',
        account: account.given_name ?? 'Not recorded',
      },
      {
        what: 'Date of birth',
        document: dateWords(details.birthDate),
        account: account.birthdate ? dateWords(account.birthdate) : 'Not recorded',
      },
    ],
    checks: checksOf(check).map((c) => ({
      check: CHECK_TEXT[c.check] ?? c.check,
      result: RESULT_TEXT[c.result],
      value: valueText(c),
      reason: c.result === 'pass' ? '' : (CHECK_REASON_TEXT[c.reason] ?? c.reason),
    })),
  };
}

// ---------------------------------------------------------------------------
// GPG45 with the checker's review

function expiryFact(checks: readonly CheckResult[]): ExpiryFact {
  const c = checks.find((x) => x.check === 'expiry');
  if (!c || c.result === 'refer') return 'no-expiry-date';
  if (c.result === 'fail') return 'expired';
  return c.value === 'recently-expired' ? 'recently-expired' : 'in-date';
}

function faceFacts(checks: readonly CheckResult[]): FaceFacts {
  const match = checks.find((c) => c.check === 'face-match');
  const live = checks.filter((c) => c.check === 'liveness' || c.check === 'spoken-digits');
  return {
    comparison: !match || match.result === 'refer' ? 'refer' : match.result === 'pass' ? 'match' : 'no-match',
    liveness: live.some((c) => c.result === 'fail')
      ? 'not-live'
      : live.length === 0 || live.some((c) => c.result === 'refer')
        ? 'refer'
        : 'live',
    ...(typeof match?.value === 'number' ? { distance: match.value } : {}),
  };
}

/**
 * The facts scorePhotoId takes, from the stored automated checks and the
 * checker's review. The account is P5, so its identity matched one living
 * PDS record. Names that differ were referred, not failed: a checker who
 * approves has read them against the record and explained them (the reason
 * says so), so only a failed date of birth counts as details that differ.
 */
export function photoIdFacts(check: PhotoIdCheck, review: IdCheckerReview): PhotoIdFacts | undefined {
  const kind = check.document_kind ?? str(record(check.document).kind);
  if (!kind || !(kind in PHOTO_DOCUMENTS)) return undefined;
  const checks = checksOf(check);
  const integrity = checks.find((c) => c.check === 'document-integrity');
  const hasMrz = PHOTO_DOCUMENTS[kind as PhotoDocumentKind].hasMrz;
  return {
    pds: 'matched',
    document: {
      kind: kind as PhotoDocumentKind,
      mrz:
        integrity?.result === 'fail' ? 'invalid' : hasMrz && integrity?.result === 'pass' ? 'valid' : 'none',
      expiry: expiryFact(checks),
      detailsMatchPds: !checks.some((c) => c.check === 'birth-date' && c.result === 'fail'),
    },
    face: faceFacts(checks),
    review,
  };
}

// ---------------------------------------------------------------------------
// The routes

/** Opaque evidence ids only (the store's own shape is checked again there). */
const EVIDENCE_ID = /^[A-Za-z0-9_-]{1,80}$/;

/** The content types the evidence store holds; anything else is sent as bytes to download. */
const SAFE_TYPES = new Set(['image/jpeg', 'image/png', 'image/webp', 'video/webm', 'video/mp4']);

/** Control characters other than line breaks and tabs are taken out (jsonb cannot hold NUL). */
const CONTROL = /[^\P{Cc}\n\r\t]/gu;

/** One byte range of a Range header ("bytes=0-99", "bytes=100-", "bytes=-100"); undefined for none or several. */
export function byteRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | 'unsatisfiable' | undefined {
  const match = header ? /^bytes=(\d{0,15})-(\d{0,15})$/.exec(header.trim()) : null;
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  let start: number;
  let end: number;
  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0) return 'unsatisfiable';
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(match[1]);
    end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  }
  return start >= size || start > end ? 'unsatisfiable' : { start, end };
}

export interface ItemFound {
  check: IdCheck;
  account: Account;
}

/** The other account of a document or face fraud signal, and its photo ID check, when this checker may see it. */
async function otherSide(
  deps: BackofficeDeps,
  staff: Parameters<typeof isOwnAccount>[0],
  item: IdCheck,
): Promise<
  | { account: Account; check: PhotoIdCheck | undefined }
  | { hidden: 'organisation' | 'own-account' | 'missing' }
  | undefined
> {
  if (item.signal !== 'document-in-use' && item.signal !== 'face-in-use') return undefined;
  const summary = record(item.summary);
  const otherCheckId = str(summary.otherPhotoIdCheckId);
  const byId = otherCheckId ? await findPhotoIdCheck(deps.db, otherCheckId) : undefined;
  const accountId = byId?.account_id ?? str(summary.otherAccountId);
  const account = accountId ? await findAccountById(deps.db, accountId) : undefined;
  if (!account || account.id === item.account_id) return { hidden: 'missing' };
  if (!seesOrganisation(staff, account.gp_ods_code)) return { hidden: 'organisation' };
  if (isOwnAccount(staff, account)) return { hidden: 'own-account' };
  const check =
    byId && byId.account_id === account.id ? byId : await latestPhotoIdCheckWithEvidence(deps.db, account.id);
  return { account, check };
}

/** This item's own photo ID check: the one it points at (or, for a fraud signal, the account's latest). */
async function ownCheck(deps: BackofficeDeps, item: IdCheck): Promise<PhotoIdCheck | undefined> {
  const byId = item.photo_id_check_id ? await findPhotoIdCheck(deps.db, item.photo_id_check_id) : undefined;
  if (byId && byId.account_id === item.account_id) return byId;
  if (item.kind === 'photo-id') return undefined;
  return latestPhotoIdCheckWithEvidence(deps.db, item.account_id);
}

export interface PhotoIdReview {
  /** The evidence panels of a document or face fraud signal, for the item page (undefined for other signals). */
  fraudSignalEvidence(
    request: FastifyRequest,
    item: IdCheck,
    account: Account,
  ): Promise<Record<string, unknown> | undefined>;
  /** The item page of a photo ID referral. */
  page(
    request: FastifyRequest,
    reply: FastifyReply,
    status: number,
    found: ItemFound,
    extra?: { values?: Fields; errors?: Fields; problem?: string; done?: boolean },
  ): Promise<FastifyReply>;
  /** The decision posted on a photo ID referral. */
  decide(request: FastifyRequest, reply: FastifyReply, found: ItemFound): Promise<FastifyReply>;
}

export function registerPhotoIdReview(
  kit: BackofficeKit,
  checkFor: (request: FastifyRequest, reply: FastifyReply) => Promise<ItemFound | undefined>,
): PhotoIdReview {
  const { deps, route, staffOf, send } = kit;
  const evidence = deps.evidence;

  route('GET /backoffice/id-checks/:checkId/evidence/:evidenceId', async (request, reply) => {
    const found = await checkFor(request, reply);
    if (!found) return reply;
    const { staff } = staffOf(request);
    const { evidenceId } = request.params as { evidenceId?: string };
    const mine = await ownCheck(deps, found.check);
    const other = await otherSide(deps, staff, found.check);
    const allowed = [
      ...(mine ? evidenceIdsOf(mine) : []),
      ...(other && 'account' in other && other.check ? evidenceIdsOf(other.check) : []),
    ];
    if (!evidenceId || !EVIDENCE_ID.test(evidenceId) || !allowed.includes(evidenceId))
      return kit.notFound(reply);
    let item: Awaited<ReturnType<EvidenceStore['get']>>;
    try {
      item = await evidence.get(evidenceId);
    } catch (error) {
      request.log.error({ err: error, checkId: found.check.id }, 'photo ID evidence could not be opened');
      item = undefined;
    }
    if (!item) return kit.notFound(reply);
    const type = SAFE_TYPES.has(item.contentType) ? item.contentType : 'application/octet-stream';
    const bytes = Buffer.from(item.bytes);
    noStore(reply)
      .header('content-type', type)
      .header('x-content-type-options', 'nosniff')
      .header('content-disposition', type === 'application/octet-stream' ? 'attachment' : 'inline')
      .header('accept-ranges', 'bytes');
    // A video player asks for parts to seek: one range is served, anything else gets the whole.
    const range = byteRange(request.headers.range, bytes.length);
    if (range === 'unsatisfiable')
      return reply.code(416).header('content-range', `bytes */${bytes.length}`).send();
    if (range)
      return reply
        .code(206)
        .header('content-range', `bytes ${range.start}-${range.end}/${bytes.length}`)
        .send(bytes.subarray(range.start, range.end + 1));
    return reply.code(200).send(bytes);
  });

  async function fraudSignalEvidence(request: FastifyRequest, item: IdCheck, account: Account) {
    if (item.signal !== 'document-in-use' && item.signal !== 'face-in-use') return undefined;
    const { staff } = staffOf(request);
    const mine = await ownCheck(deps, item);
    const other = await otherSide(deps, staff, item);
    return {
      mine: mine ? evidenceView(item.id, mine, account) : undefined,
      other:
        other && 'account' in other && other.check
          ? evidenceView(item.id, other.check, other.account)
          : undefined,
      otherAccountId: other && 'account' in other ? other.account.id : undefined,
      otherHidden:
        other && 'hidden' in other
          ? {
              organisation:
                'The other account is registered at another organisation: an ID checker at NHS England (X26) can compare them.',
              'own-account': 'The other account is your own NHS login: another ID checker must compare them.',
              missing: 'The other account no longer exists.',
            }[other.hidden]
          : other && 'account' in other && !other.check
            ? 'The other account has no photo ID evidence left (it may have passed its retention period).'
            : undefined,
    };
  }

  async function page(
    request: FastifyRequest,
    reply: FastifyReply,
    status: number,
    found: ItemFound,
    extra: { values?: Fields; errors?: Fields; problem?: string; done?: boolean } = {},
  ) {
    const { check: item, account } = found;
    const photo = await ownCheck(deps, item);
    const values = extra.values ?? { reason: '', note: '' };
    const reasonItems = (list: readonly (ApproveReason | RejectReason)[], verb: string) =>
      list.map((r) => ({
        value: r.value,
        text: `${verb}: ${r.text}`,
        ...('personText' in r ? { hint: { text: `The person is told: ${r.personText}` } } : {}),
        checked: values.reason === r.value,
      }));
    const decided = item.decided_at
      ? {
          when: dateTimeText(new Date(item.decided_at)),
          reason: allReasons().find((r) => r.value === item.decision_reason)?.text ?? item.decision_reason,
          by: item.decided_by,
          note: item.note,
        }
      : undefined;
    const since = photo?.submitted_at ?? item.created_at;
    const automated = photo ? record(photo.decision).gpg45 : undefined;
    return send(noStore(reply), status, 'id-checks/photo-id', {
      pageTitle: 'Photo ID to review',
      c: item,
      statusText: { open: 'Open', approved: 'Approved', rejected: 'Rejected', dismissed: 'Dismissed' }[
        item.status
      ],
      flagged: dateTimeText(new Date(item.created_at)),
      waited: item.status === 'open' ? waitedText(new Date(since)) : undefined,
      referral: photo ? referralText(photo) : [],
      a: account,
      level: levelText(account),
      ev: photo ? evidenceView(item.id, photo, account) : undefined,
      automatedGpg45: automated && typeof automated === 'object' ? record(automated) : undefined,
      decided,
      reasons: [
        ...reasonItems(APPROVE_REASONS, 'Approve'),
        { divider: 'or' },
        ...reasonItems(REJECT_REASONS, 'Reject'),
      ],
      noteMax: REASON_MAX_LENGTH,
      values,
      errors: extra.errors,
      errorHrefs: { reason: '#reason' },
      problem: extra.problem,
      done: extra.done,
    });
  }

  async function decidePhotoId(request: FastifyRequest, reply: FastifyReply, found: ItemFound) {
    const { check: item, account } = found;
    const { staff } = staffOf(request);
    const f = fields(request);
    const values = keep(f, ['reason', 'note']);
    const errors: Fields = {};
    const approve = APPROVE_REASONS.find((r) => r.value === f.reason);
    const reject = REJECT_REASONS.find((r) => r.value === f.reason);
    if (!approve && !reject) errors.reason = 'Select approve or reject, with the reason';
    const note = (f.note ?? '').replace(CONTROL, '').trim();
    if (note.length > REASON_MAX_LENGTH)
      errors.note = `Note must be ${REASON_MAX_LENGTH} characters or fewer`;
    if (Object.keys(errors).length) return page(request, reply, 400, found, { values, errors });

    const photo = await ownCheck(deps, item);
    const refused = (problem: string, status = 409) =>
      page(request, reply, status, found, { values, problem });
    if (!photo) return refused('This item has no photo ID check to decide. Nothing was changed.');
    if (item.status !== 'open' || photo.status !== 'referred')
      return refused('This item has already been decided. Nothing was changed.');

    const base = { idCheckId: item.id, photoIdCheckId: photo.id, accountId: account.id };
    const decidedAt = new Date().toISOString();
    const audit = {
      staffId: staff.id,
      checkId: item.id,
      photoIdCheckId: photo.id,
      reason: f.reason,
      ...(note ? { note } : {}),
    };

    if (reject) {
      const review: PhotoIdReviewRecord = {
        outcome: 'rejected',
        reason: reject.value,
        reasonText: reject.text,
        personText: reject.personText,
        note: note || null,
        staffId: staff.id,
        decidedAt,
      };
      const done = await rejectPhotoIdCheck(deps.db, { ...base, review });
      if (!done.ok) return refused('This item has already been decided. Nothing was changed.');
      await deps.audit.record({
        code: AUDIT_EVENTS.PHOTO_ID_REJECTED,
        accountId: account.id,
        ip: request.ip,
        details: audit,
      });
      await notifyPatient(deps.notifier, request, {
        type: 'email-photo-id-rejected',
        to: account.email,
        reason: reject.personText,
      });
      return reply.redirect(`/backoffice/id-checks/${item.id}?done=yes`, 303);
    }

    // Approve: the GPG45 decision with the checker's review must give P9.
    const chosen = approve!;
    const facts = photoIdFacts(photo, {
      document: 'genuine',
      face: 'same-person',
      reason: `${chosen.text}${note ? `; note: ${note}` : ''}`,
    });
    if (checksOf(photo).some((c) => c.check === 'document-accepted' && c.result === 'fail'))
      return refused(
        'This check cannot be approved: the document is not one NHS login accepts. Reject it with a reason instead. Nothing was changed.',
        400,
      );
    const score = facts ? scorePhotoId(facts) : undefined;
    const gpg45 = score ? decide(score.record) : undefined;
    if (!score || !gpg45 || gpg45.level !== 'P9') {
      const why = gpg45 ? ` ${gpg45.explanation.join(' ')}` : ' The document kind is not one we score.';
      return refused(
        `This check cannot be approved: with your review its GPG45 scores do not reach P9.${why} Reject it with a reason instead. Nothing was changed.`,
        400,
      );
    }
    // The record the evidence was about: the one the journey recorded with the check when it did
    // (decision.nhsNumberHash, a keyed hash), else the account's as it stands now.
    const nhsNumberHash = str(record(photo.decision).nhsNumberHash) ?? account.nhs_number_hash;
    if (!nhsNumberHash || (account.proofing_level !== 'P5' && account.proofing_level !== 'P9'))
      return refused(
        'This account no longer stands on the national record the check was about (its NHS number changed, or its level was suspended). Nothing was changed: ask support to look at the account.',
      );
    const review: PhotoIdReviewRecord = {
      outcome: 'approved',
      reason: chosen.value,
      reasonText: chosen.text,
      note: note || null,
      staffId: staff.id,
      decidedAt,
    };
    const done = await approvePhotoIdCheck(deps.db, {
      ...base,
      review,
      nhsNumberHash,
      attempt: {
        outcome: 'approved',
        evidence: {
          photoIdCheckId: photo.id,
          idCheckId: item.id,
          documentKind: facts!.document.kind,
          review: { staffId: staff.id, reason: chosen.value, reasonText: chosen.text, note: note || null },
          gpg45: gpg45Evidence(score),
        },
      },
    });
    if (!done.ok)
      return refused(
        done.reason === 'already-decided'
          ? 'This item has already been decided. Nothing was changed.'
          : 'This account no longer stands on the national record the check was about (its NHS number changed, or its level was suspended). Nothing was changed: ask support to look at the account.',
      );
    await deps.audit.record({
      code: AUDIT_EVENTS.PHOTO_ID_APPROVED,
      accountId: account.id,
      ip: request.ip,
      details: { ...audit, level: 'P9', attemptId: done.attemptId },
    });
    await deps.audit.record({
      code: AUDIT_EVENTS.IDENTITY_PROVED,
      accountId: account.id,
      ip: request.ip,
      details: { route: 'photo-id', level: 'P9', attemptId: done.attemptId, staffId: staff.id },
    });
    await notifyPatient(deps.notifier, request, {
      type: 'email-identity-proved',
      to: account.email,
      level: 'P9',
    });
    return reply.redirect(`/backoffice/id-checks/${item.id}?done=yes`, 303);
  }

  return { fraudSignalEvidence, page, decide: decidePhotoId };
}
