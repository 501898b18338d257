// Proving who you are to P9 with photo ID and a short video selfie (domain.md,
// P9 route 1), for a person already matched to their NHS record (P5): the
// document is compared with that record, re-read from PDS by the account's
// NHS number. From the account pages and inline in a supplier's sign-in
// (step-up) when it needs P9. A P0 person who chooses photo ID matches their
// details first (/prove-identity/details), then comes back here.
//
//   /prove-identity/photo-id           about, the document choice, and where an earlier check is
//   /prove-identity/photo-id/photo     a photo of the document (camera or upload; multipart)
//   /prove-identity/photo-id/details   the machine readable zone's lines, or a licence's fields
//   /prove-identity/photo-id/video     the video selfie saying 4 random digits, with frames (multipart)
//   /prove-identity/photo-id/check     check your answers, "a person should check it", send
//   /prove-identity/photo-id/outcome   passed, what to try next, or being checked
//
// One photo_id_checks row per check, filled in page by page while 'started':
// a person can leave and come back to it. Uploads are decoded and re-encoded
// (image.ts: metadata gone), the video sniffed (video.ts), and all of it kept
// encrypted in the evidence store until its retention ends.
//
// Sending decides: the automated checks of src/domain/photo-id.ts on the
// typed document details, the PDS record and the faces in the document photo
// and the frames the page took from the video. A clear pass raises the
// account to P9; a clear fail says what to try next and counts against the
// proofing limits; anything in between, and every check the person asked a
// person to look at, goes to the ID checker queue (id_checks kind 'photo-id')
// and the person is emailed. The same document or the same face as on
// another account is stopped, flagged to the queue as a fraud signal and
// audited; the person is told the same as for a referral.
//
// Rows written here, for the ID checker's review (which reads them directly):
//   photo_id_checks.document = { kind, identity, details (no documentNumber),
//     documentNumberSealed, source, integrity, lastFour }
//   photo_id_checks.decision = { outcome: 'pass'|'fail'|'refer' (the automation's), reasons,
//     checks, nextSteps?, gpg45, face (the measurements), nhsNumberHash, referredBecause? }
//   id_checks.summary = { route: 'photo-id', photoIdCheckId, documentKind, outcome, reasons,
//     askedForReview, referredBecause, gpg45, otherAccountId?, otherPhotoIdCheckId?, distance? }
import type { Readable } from 'node:stream';
import fastifyMultipart from '@fastify/multipart';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  cleanUpload,
  DEFAULT_UPLOAD_LIMITS,
  describeUploadRejection,
  type UploadLimits,
} from '../../adapters/document-check/image.js';
import { checkVideoUpload, DEFAULT_VIDEO_LIMITS } from '../../adapters/document-check/video.js';
import { measureFaces } from '../../adapters/face-match/liveness.js';
import type { FaceDescription, FaceMatcher } from '../../adapters/face-match/port.js';
import type { PatientSummary } from '../../adapters/pds/index.js';
import { AUDIT_EVENTS } from '../../audit/events.js';
import { scorePhotoId, type FaceFacts, type PdsOutcome } from '../../domain/gpg45-routes.js';
import {
  ACCEPTED_DOCUMENTS,
  decidePhotoIdCheck,
  expiryStatus,
  NEXT_STEP_TEXT,
  PHOTO_ID_POLICY,
  type CheckResult,
  type DocumentEvidence,
  type DocumentKind,
  type FaceEvidence,
  type NextStep,
  type PhotoIdDecision,
  type PhotoIdPolicy,
} from '../../domain/photo-id.js';
import { findAccountById, raiseToP9, recordProofingAttempt, type Account } from '../../store/accounts.js';
import {
  claimStartedCheck,
  findDocumentElsewhere,
  findLatestSubmittedCheck,
  findStartedCheck,
  otherFaceDescriptors,
  queuePhotoIdCheck,
  releaseStartedCheck,
  startCheck,
  submitCheck,
  updateStartedCheck,
  type PhotoIdCheck,
} from '../../store/photo-id-checks.js';
import { csrfProtect } from '../../web/security.js';
import { signInSatisfied } from '../complete.js';
import type { JourneyDeps } from '../deps.js';
import { typed } from '../form-fields.js';
import { gpg45Evidence, type ProvingKit } from './gp-details.js';
import {
  DOCUMENT_KINDS,
  hasZone,
  isDocumentKind,
  LICENCE_FIELDS,
  LICENCE_STATES,
  parseDocumentChoice,
  parseLicenceDetails,
  parseReviewChoice,
  parseZoneDetails,
  PHOTO_ID_MESSAGES,
  ukToday,
} from './photo-id-validation.js';
import type { Proving } from './routes.js';

const ROUTE = 'photo-id';
const BASE = '/prove-identity/photo-id';

/** Journey-state key: a P0 person chose photo ID, so the P5 details form is theirs first (routes.ts). */
export const PHOTO_ID_AFTER_P5_KEY = 'photoIdAfterP5';

/** Frames the page samples from the video; more are refused. */
export const MAX_FRAMES = 8;

/** The document photo: image.ts's defaults. */
export const PHOTO_LIMITS: UploadLimits = DEFAULT_UPLOAD_LIMITS;
/** Frames drawn from the video by the page: small JPEGs; a phone's front camera is at least 640 x 480. */
export const FRAME_LIMITS: UploadLimits = {
  ...DEFAULT_UPLOAD_LIMITS,
  maxBytes: 2 * 1024 * 1024,
  minShortEdge: 240,
};
export const VIDEO_LIMITS = DEFAULT_VIDEO_LIMITS;

/**
 * The policy of the automated decision. Production uses PHOTO_ID_POLICY (no
 * automatic pass on typed details or unchecked digits). A deployment whose
 * adapters can confirm more (an OCR reader, a speech check), and tests, may
 * register another policy for the face matcher they run with: the policy
 * belongs with what the adapters can measure.
 */
const POLICIES = new WeakMap<FaceMatcher, PhotoIdPolicy>();
export function usePhotoIdPolicy(matcher: FaceMatcher, policy: PhotoIdPolicy): void {
  POLICIES.set(matcher, policy);
}

/** What the person is told when something of ours is down. Nothing was decided or counted. */
export const PHOTO_ID_UNAVAILABLE = {
  title: 'Sorry, we could not check your photo ID',
  body: 'Something went wrong on our side. Your answers have been saved. Try again later.',
} as const;

/** The status of a person's photo ID checks, for the start pages. */
export type PhotoIdStatus = 'none' | 'started' | 'being-checked' | 'rejected' | 'failed';

export async function photoIdStatus(
  deps: Pick<JourneyDeps, 'db'>,
  accountId: string,
): Promise<PhotoIdStatus> {
  const latest = await findLatestSubmittedCheck(deps.db, accountId);
  if (latest?.status === 'referred') return 'being-checked';
  if (await findStartedCheck(deps.db, accountId)) return 'started';
  if (latest?.status === 'rejected') return 'rejected';
  if (latest?.status === 'failed') return 'failed';
  return 'none';
}

// ---------------------------------------------------------------------------
// The stored document

interface StoredDocument {
  kind: DocumentKind;
  identity: DocumentEvidence['identity'];
  details: Omit<DocumentEvidence['details'], 'documentNumber'>;
  documentNumberSealed: string;
  source: DocumentEvidence['source'];
  integrity: DocumentEvidence['integrity'] | null;
  lastFour: string;
}

/** One document proves one account: the keyed hash of who issued it, what it is, and its number. */
export function documentNumberHash(
  deps: Pick<JourneyDeps, 'sealer'>,
  kind: DocumentKind,
  issuingState: string,
  documentNumber: string,
): string {
  return deps.sealer.lookupHash(
    `photo-id:${issuingState.toUpperCase()}:${kind}:${documentNumber.toUpperCase().replace(/\s+/gu, '')}`,
  );
}

function storeDocument(deps: JourneyDeps, kind: DocumentKind, evidence: DocumentEvidence): StoredDocument {
  const { documentNumber, ...details } = evidence.details;
  return {
    kind,
    identity: evidence.identity,
    details,
    documentNumberSealed: deps.sealer.seal(documentNumber),
    source: evidence.source,
    integrity: evidence.integrity ?? null,
    lastFour: documentNumber.slice(-4),
  };
}

function documentOf(deps: JourneyDeps, check: PhotoIdCheck): DocumentEvidence | undefined {
  const stored = check.document as StoredDocument | null;
  if (!stored) return undefined;
  return {
    identity: stored.identity,
    details: { ...stored.details, documentNumber: deps.sealer.open(stored.documentNumberSealed) },
    source: stored.source,
    integrity: stored.integrity ?? undefined,
  };
}

const sealDescriptor = (deps: JourneyDeps, descriptor: Float32Array): string =>
  deps.sealer.seal(
    Buffer.from(descriptor.buffer, descriptor.byteOffset, descriptor.byteLength).toString('base64'),
  );

function openDescriptor(deps: JourneyDeps, sealed: string): Float32Array | undefined {
  try {
    const bytes = Buffer.from(deps.sealer.open(sealed), 'base64');
    if (bytes.length % 4 !== 0) return undefined;
    return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------
// Uploads

/** Reads an uploaded file, keeping at most cap bytes (one more than allowed says "too large"), draining the rest. */
async function readCapped(stream: Readable, cap: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    if (size >= cap) continue;
    const room = cap - size;
    const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
    chunks.push(part);
    size += part.length;
  }
  return Buffer.concat(chunks);
}

/** Each file field's own cap: the adapter's limit plus one byte, so the adapter can say "too large". */
const FIELD_CAPS: Record<string, number> = {
  photo: PHOTO_LIMITS.maxBytes + 1,
  video: VIDEO_LIMITS.maxBytes + 1,
  frames: FRAME_LIMITS.maxBytes + 1,
};

const buffers = (value: unknown): Buffer[] =>
  (Array.isArray(value) ? value : [value]).filter((v): v is Buffer => Buffer.isBuffer(v) && v.length > 0);

// ---------------------------------------------------------------------------

export function registerPhotoIdRoutes(app: FastifyInstance, deps: JourneyDeps, kit: ProvingKit): void {
  const policy = (): PhotoIdPolicy => POLICIES.get(deps.faces) ?? PHOTO_ID_POLICY;

  /** P5 and bound to a record, from the account or for a supplier waiting for P9. */
  const mayUsePhotoId = (p: Proving): boolean =>
    p.account.proofing_level === 'P5' &&
    p.account.nhs_number !== null &&
    p.account.nhs_number_hash !== null &&
    (!p.stepUp || p.stepUp.level === 'P9');

  /** The first page not yet done for a started check. */
  const nextStep = (check: PhotoIdCheck): string =>
    !check.document_photo_id
      ? `${BASE}/photo`
      : !check.document
        ? `${BASE}/details`
        : !check.video_id
          ? `${BASE}/video`
          : `${BASE}/check`;

  const kindOf = (check: PhotoIdCheck): DocumentKind =>
    isDocumentKind(check.document_kind) ? check.document_kind : 'passport';

  /** Who is proving, allowed here, with their started check; else the reply already sent. */
  async function withCheck(
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<{ p: Proving; check: PhotoIdCheck } | FastifyReply> {
    const p = await kit.proving(request, reply);
    if (typeof p === 'string') return kit.elsewhere(reply, p);
    if (!mayUsePhotoId(p)) return reply.redirect(BASE, 303);
    const check = await findStartedCheck(deps.db, p.account.id);
    if (!check) return reply.redirect(BASE, 303);
    return { p, check };
  }

  const isReply = (value: unknown): value is FastifyReply =>
    typeof value === 'object' && value !== null && 'sent' in value && 'raw' in value;

  async function audit(
    request: FastifyRequest,
    p: Proving,
    code: (typeof AUDIT_EVENTS)[keyof typeof AUDIT_EVENTS],
    details: Record<string, unknown>,
  ): Promise<void> {
    await deps.audit.record({
      code,
      accountId: p.account.id,
      clientId: p.journey.state.interaction?.clientId,
      ip: request.ip,
      details: { route: ROUTE, ...details },
    });
  }

  // -------------------------------------------------------------------------
  // About, the document choice, and where an earlier check is

  async function startPage(
    reply: FastifyReply,
    p: Proving,
    errors: Record<string, string> = {},
    status = 200,
  ) {
    const started = await findStartedCheck(deps.db, p.account.id);
    return kit.page(
      reply,
      p,
      'prove-identity/photo-id.njk',
      {
        documentItems: DOCUMENT_KINDS.map((kind) => ({
          value: kind,
          text: ACCEPTED_DOCUMENTS[kind].name,
          hint: { text: `We accept ${ACCEPTED_DOCUMENTS[kind].accepted}.` },
          checked: started?.document_kind === kind,
        })),
        resumeHref: started ? nextStep(started) : undefined,
        status: await photoIdStatus(deps, p.account.id),
        errors,
      },
      status,
    );
  }

  app.get(BASE, async (request, reply) => {
    const p = await kit.proving(request, reply);
    if (typeof p === 'string') return kit.elsewhere(reply, p);
    if (p.account.proofing_level === 'P9') return reply.redirect(kit.startOf(p), 303);
    if (p.account.proofing_level === 'P0') {
      // Photo ID is compared with the NHS record: the details come first.
      p.journey.state[PHOTO_ID_AFTER_P5_KEY] = true;
      await deps.journeys.save(reply, p.journey, p.journey.state);
      return kit.page(reply, p, 'prove-identity/photo-id-needs-p5.njk', {});
    }
    if (!mayUsePhotoId(p)) return reply.redirect(kit.startOf(p), 303);
    return startPage(reply, p);
  });

  app.post(BASE, { preHandler: csrfProtect }, async (request, reply) => {
    const p = await kit.proving(request, reply);
    if (typeof p === 'string') return kit.elsewhere(reply, p);
    if (!mayUsePhotoId(p)) return reply.redirect(kit.startOf(p), 303);
    if ((await photoIdStatus(deps, p.account.id)) === 'being-checked') return reply.redirect(BASE, 303);
    const choice = parseDocumentChoice(request.body);
    if (!choice.ok) return startPage(reply, p, choice.errors, 400);
    const started = await findStartedCheck(deps.db, p.account.id);
    let check: PhotoIdCheck;
    if (!started) {
      check = await startCheck(deps.db, p.account.id, choice.value);
    } else {
      // Another kind of document: what was typed from the old one no longer applies.
      if (started.document_kind !== choice.value)
        await updateStartedCheck(deps.db, started.id, {
          document_kind: choice.value,
          document: null,
          document_number_hash: null,
        });
      check = (await findStartedCheck(deps.db, p.account.id)) ?? started;
    }
    return reply.redirect(nextStep(check), 303);
  });

  // -------------------------------------------------------------------------
  // The uploads: multipart, in their own encapsulated scope with their limits.

  void app.register(async (scope) => {
    await scope.register(fastifyMultipart, {
      attachFieldsToBody: 'keyValues',
      throwFileSizeLimit: false,
      limits: {
        fields: 10,
        fieldSize: 4096,
        files: 1 + MAX_FRAMES,
        parts: 20,
        // A hard stop; each field's own cap is smaller (FIELD_CAPS).
        fileSize: VIDEO_LIMITS.maxBytes + 1,
      },
      async onFile(part) {
        const cap = FIELD_CAPS[part.fieldname] ?? 1;
        (part as unknown as { value: Buffer }).value = await readCapped(part.file, cap);
      },
    });

    scope.post(`${BASE}/photo`, { preHandler: csrfProtect }, async (request, reply) => {
      const found = await withCheck(request, reply);
      if (isReply(found)) return found;
      const { p, check } = found;
      const [upload] = buffers((request.body as Record<string, unknown> | undefined)?.photo);
      if (!upload) return photoPage(reply, p, check, { photo: PHOTO_ID_MESSAGES.photoEmpty }, 400);
      const cleaned = await cleanUpload(upload, PHOTO_LIMITS);
      if (!cleaned.ok)
        return photoPage(reply, p, check, { photo: describeUploadRejection(cleaned.error) }, 400);
      const stored = await deps.evidence.put({
        kind: 'document-photo',
        contentType: 'image/jpeg',
        bytes: cleaned.value.jpeg,
      });
      if (check.document_photo_id) await deps.evidence.delete(check.document_photo_id);
      await updateStartedCheck(deps.db, check.id, { document_photo_id: stored.id });
      return reply.redirect(nextStep({ ...check, document_photo_id: stored.id }), 303);
    });

    scope.post(`${BASE}/video`, { preHandler: csrfProtect }, async (request, reply) => {
      const found = await withCheck(request, reply);
      if (isReply(found)) return found;
      const { p, check } = found;
      const body = (request.body ?? {}) as Record<string, unknown>;
      const [video] = buffers(body.video);
      const frames = buffers(body.frames);
      const errors: Record<string, string> = {};
      const checked = video ? checkVideoUpload(video, VIDEO_LIMITS) : undefined;
      if (!video) errors.video = PHOTO_ID_MESSAGES.videoEmpty;
      else if (checked && !checked.ok)
        errors.video =
          checked.error.code === 'too-large'
            ? `The selected video must be smaller than ${Math.floor(VIDEO_LIMITS.maxBytes / (1024 * 1024))}MB`
            : checked.error.code === 'empty'
              ? 'The selected video is empty'
              : 'The selected file must be a video (MP4 or WebM)';
      if (frames.length > MAX_FRAMES) errors.frames = `Select up to ${MAX_FRAMES} photos from your video`;
      const cleanedFrames: Buffer[] = [];
      for (const frame of frames.slice(0, MAX_FRAMES)) {
        const cleaned = await cleanUpload(frame, FRAME_LIMITS);
        if (!cleaned.ok) {
          errors.frames ??= describeUploadRejection(cleaned.error).replace('selected file', 'selected photo');
        } else cleanedFrames.push(cleaned.value.jpeg);
      }
      if (Object.keys(errors).length > 0 || !checked?.ok) return videoPage(reply, p, check, errors, 400);

      const videoStored = await deps.evidence.put({
        kind: 'video',
        contentType: checked.value.container === 'webm' ? 'video/webm' : 'video/mp4',
        bytes: checked.value.bytes,
      });
      const frameIds: string[] = [];
      for (const jpeg of cleanedFrames) {
        frameIds.push(
          (await deps.evidence.put({ kind: 'video-frame', contentType: 'image/jpeg', bytes: jpeg })).id,
        );
      }
      for (const old of [check.video_id, ...check.frame_ids]) if (old) await deps.evidence.delete(old);
      await updateStartedCheck(deps.db, check.id, { video_id: videoStored.id, frame_ids: frameIds });
      return reply.redirect(`${BASE}/check`, 303);
    });
  });

  // -------------------------------------------------------------------------
  // The document photo

  function photoPage(
    reply: FastifyReply,
    p: Proving,
    check: PhotoIdCheck,
    errors: Record<string, string> = {},
    status = 200,
  ) {
    return kit.page(
      reply,
      p,
      'prove-identity/photo-id-photo.njk',
      {
        document: ACCEPTED_DOCUMENTS[kindOf(check)],
        hasPhoto: Boolean(check.document_photo_id),
        maxMegabytes: Math.floor(PHOTO_LIMITS.maxBytes / (1024 * 1024)),
        errors,
        backHref: BASE,
      },
      status,
    );
  }

  app.get(`${BASE}/photo`, async (request, reply) => {
    const found = await withCheck(request, reply);
    if (isReply(found)) return found;
    return photoPage(reply, found.p, found.check);
  });

  // -------------------------------------------------------------------------
  // The document's details

  function detailsPage(
    reply: FastifyReply,
    p: Proving,
    check: PhotoIdCheck,
    context: {
      values?: Record<string, string>;
      errors?: Record<string, string>;
      dateParts?: string[];
      expiryParts?: string[];
    } = {},
    status = 200,
  ) {
    const kind = kindOf(check);
    const dateParts = context.dateParts ?? [];
    const expiryParts = context.expiryParts ?? [];
    return kit.page(
      reply,
      p,
      'prove-identity/photo-id-details.njk',
      {
        document: ACCEPTED_DOCUMENTS[kind],
        zone: hasZone(kind),
        states: LICENCE_STATES,
        values: context.values ?? {},
        errors: context.errors ?? {},
        dateError: Object.fromEntries(dateParts.map((part) => [part, true])),
        expiryError: Object.fromEntries(expiryParts.map((part) => [part, true])),
        errorHrefs: {
          birthdate: `#birthdate-${dateParts[0] ?? 'day'}`,
          expiry: `#expiry-${expiryParts[0] ?? 'day'}`,
        },
        backHref: `${BASE}/photo`,
      },
      status,
    );
  }

  app.get(`${BASE}/details`, async (request, reply) => {
    const found = await withCheck(request, reply);
    if (isReply(found)) return found;
    const { p, check } = found;
    if (!check.document_photo_id) return reply.redirect(nextStep(check), 303);
    return detailsPage(reply, p, check);
  });

  app.post(`${BASE}/details`, { preHandler: csrfProtect }, async (request, reply) => {
    const found = await withCheck(request, reply);
    if (isReply(found)) return found;
    const { p, check } = found;
    if (!check.document_photo_id) return reply.redirect(nextStep(check), 303);
    const kind = kindOf(check);
    const zone = hasZone(kind);
    const values = typed(request.body, zone ? ['mrz'] : LICENCE_FIELDS);
    const parsed = zone ? parseZoneDetails(kind, request.body, ukToday()) : parseLicenceDetails(request.body);
    if (!parsed.ok)
      return detailsPage(
        reply,
        p,
        check,
        { values, errors: parsed.errors, dateParts: parsed.dateParts, expiryParts: parsed.expiryParts },
        400,
      );
    const { evidence } = parsed;
    const document = storeDocument(deps, kind, evidence);
    await updateStartedCheck(deps.db, check.id, {
      document: document as unknown as Record<string, unknown>,
      document_number_hash: documentNumberHash(
        deps,
        kind,
        evidence.identity.issuingState,
        evidence.details.documentNumber,
      ),
    });
    return reply.redirect(
      nextStep({ ...check, document: document as unknown as Record<string, unknown> }),
      303,
    );
  });

  // -------------------------------------------------------------------------
  // The video selfie

  function videoPage(
    reply: FastifyReply,
    p: Proving,
    check: PhotoIdCheck,
    errors: Record<string, string> = {},
    status = 200,
  ) {
    return kit.page(
      reply,
      p,
      'prove-identity/photo-id-video.njk',
      {
        digits: check.digits.split(''),
        maxFrames: MAX_FRAMES,
        maxMegabytes: Math.floor(VIDEO_LIMITS.maxBytes / (1024 * 1024)),
        hasVideo: Boolean(check.video_id),
        errors,
        backHref: `${BASE}/details`,
      },
      status,
    );
  }

  app.get(`${BASE}/video`, async (request, reply) => {
    const found = await withCheck(request, reply);
    if (isReply(found)) return found;
    const { p, check } = found;
    if (!check.document_photo_id || !check.document) return reply.redirect(nextStep(check), 303);
    return videoPage(reply, p, check);
  });

  // -------------------------------------------------------------------------
  // Check your answers, and send

  function checkPage(
    reply: FastifyReply,
    p: Proving,
    check: PhotoIdCheck,
    context: Record<string, unknown> = {},
    status = 200,
  ) {
    const document = check.document as StoredDocument | null;
    return kit.page(
      reply,
      p,
      'prove-identity/photo-id-check.njk',
      {
        document: ACCEPTED_DOCUMENTS[kindOf(check)],
        details: document?.details,
        lastFour: document?.lastFour,
        frames: check.frame_ids.length,
        backHref: `${BASE}/video`,
        ...context,
      },
      status,
    );
  }

  app.get(`${BASE}/check`, async (request, reply) => {
    const found = await withCheck(request, reply);
    if (isReply(found)) return found;
    const { p, check } = found;
    if (nextStep(check) !== `${BASE}/check`) return reply.redirect(nextStep(check), 303);
    return checkPage(reply, p, check);
  });

  app.post(`${BASE}/check`, { preHandler: csrfProtect }, async (request, reply) => {
    const found = await withCheck(request, reply);
    if (isReply(found)) return found;
    const { p, check } = found;
    if (nextStep(check) !== `${BASE}/check`) return reply.redirect(nextStep(check), 303);

    const wait = await kit.blockedFor(request, p.account);
    if (wait > 0) return kit.tooMany(request, reply, p, wait, ROUTE);
    const [byAccount, byIp] = await Promise.all([
      deps.limits.check('photoIdChecksPerAccount', p.account.id),
      deps.limits.check('photoIdChecksPerIp', request.ip),
    ]);
    if (!byAccount.allowed || !byIp.allowed)
      return kit.tooMany(
        request,
        reply,
        p,
        Math.max(byAccount.retryAfterSeconds, byIp.retryAfterSeconds),
        ROUTE,
      );

    // Claimed before the slow part, so a second press decides nothing twice.
    if (!(await claimStartedCheck(deps.db, check.id))) return reply.redirect(`${BASE}/outcome`, 303);
    const askedForReview = parseReviewChoice(request.body);
    let result: SendResult;
    try {
      result = await send(request, p, check, askedForReview);
    } catch (error) {
      await releaseStartedCheck(deps.db, check.id);
      throw error;
    }
    if (result === 'unavailable') {
      await releaseStartedCheck(deps.db, check.id);
      return checkPage(reply, p, check, { problem: PHOTO_ID_UNAVAILABLE }, 503);
    }
    if (result === 'passed' && p.stepUp && p.journey.state.signIn) {
      // Just compared with the national record: this sign-in needs no re-check.
      Object.assign(p.journey.state.signIn, { level: 'P9', rechecked: true });
      await deps.journeys.save(reply, p.journey, p.journey.state);
    }
    return reply.redirect(`${BASE}/outcome`, 303);
  });

  type SendResult = 'passed' | 'failed' | 'referred' | 'unavailable';

  /** The PDS record the account is bound to, re-read. */
  async function boundRecord(
    request: FastifyRequest,
    account: Account,
  ): Promise<{ record: PatientSummary | undefined; pds: PdsOutcome } | 'unavailable'> {
    const nhsNumber = deps.sealer.open(account.nhs_number!);
    try {
      const read = await deps.demographics.read(nhsNumber);
      if (!read.ok) {
        request.log.warn({ kind: read.error.kind }, 'PDS could not be read for a photo ID check');
        return 'unavailable';
      }
      if (read.value.kind === 'not-found') return { record: undefined, pds: 'no-match' };
      const record = read.value.patient;
      return { record, pds: record.deceased ? 'deceased' : 'matched' };
    } catch {
      return 'unavailable';
    }
  }

  /** The document photo and each frame, described one after another (the matcher runs one at a time). */
  async function describeEvidence(
    request: FastifyRequest,
    check: PhotoIdCheck,
  ): Promise<{ document: FaceDescription; frames: FaceDescription[] } | 'unavailable'> {
    const none: FaceDescription = { faces: 0, imageWidth: 0, imageHeight: 0 };
    const describe = async (id: string): Promise<FaceDescription | 'unavailable'> => {
      const item = await deps.evidence.get(id);
      if (!item) return none;
      const described = await deps.faces.describe(item.bytes);
      if (described.ok) return described.value;
      if (described.error.code === 'unavailable') {
        request.log.error({ error: described.error.message }, 'face comparison is unavailable');
        return 'unavailable';
      }
      return none;
    };
    const document = await describe(check.document_photo_id!);
    if (document === 'unavailable') return 'unavailable';
    const frames: FaceDescription[] = [];
    for (const id of check.frame_ids) {
      const frame = await describe(id);
      if (frame === 'unavailable') return 'unavailable';
      frames.push(frame);
    }
    return { document, frames };
  }

  /** Another account's standing check with the same face as this portrait, and how close. */
  async function sameFaceElsewhere(
    accountId: string,
    portrait: Float32Array,
  ): Promise<{ id: string; account_id: string; distance: number } | undefined> {
    const { strongMatch } = policy().face;
    let closest: { id: string; account_id: string; distance: number } | undefined;
    for (const row of await otherFaceDescriptors(deps.db, accountId)) {
      const other = openDescriptor(deps, row.face_descriptor);
      if (!other || other.length !== portrait.length) continue;
      const distance = deps.faces.compare(portrait, other);
      if (distance < strongMatch && (!closest || distance < closest.distance))
        closest = { id: row.id, account_id: row.account_id, distance };
    }
    return closest;
  }

  /** Decides a complete check: measures, decides, and acts on the decision. */
  async function send(
    request: FastifyRequest,
    p: Proving,
    check: PhotoIdCheck,
    askedForReview: boolean,
  ): Promise<SendResult> {
    const { account } = p;
    const document = documentOf(deps, check)!;
    const kind = kindOf(check);
    const bound = await boundRecord(request, account);
    if (bound === 'unavailable') return 'unavailable';
    const described = await describeEvidence(request, check);
    if (described === 'unavailable') return 'unavailable';

    await audit(request, p, AUDIT_EVENTS.PHOTO_ID_SUBMITTED, {
      checkId: check.id,
      documentKind: kind,
      askedForReview,
      frames: check.frame_ids.length,
    });
    await deps.limits.hit('photoIdChecksPerAccount', account.id);
    await deps.limits.hit('photoIdChecksPerIp', request.ip);

    const today = ukToday();
    const face: FaceEvidence = measureFaces(described.document, described.frames);
    const activePolicy = policy();
    const decision: PhotoIdDecision = bound.record
      ? decidePhotoIdCheck(
          { today, document, record: bound.record, face, spokenDigits: 'not-checked' },
          activePolicy,
        )
      : { outcome: 'refer', reasons: [], checks: [] };
    const gpg45 = gpg45Evidence(
      scorePhotoId({
        pds: bound.pds,
        document: {
          kind,
          mrz: !hasZone(kind) ? 'none' : document.integrity?.valid === false ? 'invalid' : 'valid',
          expiry: expiryStatus(document.details.expiryDate, today, activePolicy.expiryGraceMonths),
          detailsMatchPds: ['family-name', 'given-names', 'birth-date'].every((name) =>
            decision.checks.some((c) => c.check === name && c.result === 'pass'),
          ),
          authenticity: 'not-checked',
        },
        face: faceFacts(decision.checks, face),
      }),
    );
    const portrait = described.document.main?.descriptor;
    const faceDescriptor = portrait ? sealDescriptor(deps, portrait) : null;
    const record: Record<string, unknown> = {
      outcome: decision.outcome,
      reasons: decision.outcome === 'pass' ? [] : decision.reasons,
      checks: decision.checks,
      ...(decision.outcome === 'fail' ? { nextSteps: decision.nextSteps } : {}),
      gpg45,
      face,
      // The record the evidence was compared with (keyed hash): an ID checker's approval raises on it.
      nhsNumberHash: account.nhs_number_hash,
    };
    const attemptEvidence = (outcome: string, extra: Record<string, unknown> = {}) => ({
      photoIdCheckId: check.id,
      documentKind: kind,
      outcome,
      reasons: record.reasons,
      askedForReview,
      nhsNumberHash: account.nhs_number_hash,
      gpg45,
      ...extra,
    });

    // Fraud: one document proves one account; one face, one account.
    const documentHash = check.document_number_hash;
    const documentElsewhere = documentHash
      ? await findDocumentElsewhere(deps.db, documentHash, account.id)
      : undefined;
    const faceElsewhere =
      !documentElsewhere && portrait ? await sameFaceElsewhere(account.id, portrait) : undefined;
    if (documentElsewhere || faceElsewhere) {
      const signal = documentElsewhere ? 'document-in-use' : 'face-in-use';
      const other = documentElsewhere ?? faceElsewhere!;
      const distance = faceElsewhere?.distance;
      const attemptId = await recordProofingAttempt(deps.db, {
        accountId: account.id,
        route: ROUTE,
        outcome: signal,
        evidence: attemptEvidence(signal, { otherAccountId: other.account_id }),
      });
      await submitCheck(deps.db, check.id, {
        status: 'referred',
        decision: { ...record, referredBecause: signal },
        faceDescriptor,
        askedForReview,
        proofingAttemptId: attemptId,
      });
      await queuePhotoIdCheck(deps.db, {
        accountId: account.id,
        photoIdCheckId: check.id,
        proofingAttemptId: attemptId,
        signal,
        summary: {
          ...summaryOf(check, kind, record, askedForReview, signal),
          otherAccountId: other.account_id,
          otherPhotoIdCheckId: other.id,
          ...(distance === undefined ? {} : { distance }),
        },
      });
      await deps.limits.hit('proofingAttemptsPerAccount', account.id);
      await deps.limits.hit('proofingAttemptsPerIp', request.ip);
      await audit(
        request,
        p,
        signal === 'document-in-use'
          ? AUDIT_EVENTS.PHOTO_ID_DOCUMENT_IN_USE
          : AUDIT_EVENTS.PHOTO_ID_FACE_IN_USE,
        {
          checkId: check.id,
          otherAccountId: other.account_id,
          fraudSignal: true,
          ...(distance === undefined ? {} : { distance }),
        },
      );
      // The person is told what a referral says: never that another account exists.
      await kit.notify(request, { type: 'email-photo-id-referred', to: account.email });
      return 'referred';
    }

    // Only a living person's record matched at P5 can be passed or failed by the automation.
    const decidable = !askedForReview && bound.pds === 'matched';
    if (decision.outcome === 'pass' && decidable) {
      const raised = await raiseToP9(deps.db, account.id, account.nhs_number_hash!, {
        route: ROUTE,
        outcome: 'passed',
        evidence: attemptEvidence('passed'),
      });
      if (raised.ok) {
        await submitCheck(deps.db, check.id, {
          status: 'passed',
          decision: record,
          faceDescriptor,
          askedForReview,
          proofingAttemptId: raised.attemptId,
        });
        await deps.limits.reset('proofingAttemptsPerAccount', account.id);
        await audit(request, p, AUDIT_EVENTS.IDENTITY_PROVED, {
          level: 'P9',
          attemptId: raised.attemptId,
          checkId: check.id,
        });
        await kit.notify(request, { type: 'email-identity-proved', to: account.email, level: 'P9' });
        return 'passed';
      }
      // The account's record changed meanwhile: a person looks.
      record.referredBecause = 'record-changed';
    }

    if (decision.outcome === 'fail' && decidable) {
      const attemptId = await recordProofingAttempt(deps.db, {
        accountId: account.id,
        route: ROUTE,
        outcome: 'failed',
        evidence: attemptEvidence('failed'),
      });
      await submitCheck(deps.db, check.id, {
        status: 'failed',
        decision: record,
        faceDescriptor: null,
        askedForReview,
        proofingAttemptId: attemptId,
      });
      await deps.limits.hit('proofingAttemptsPerAccount', account.id);
      await deps.limits.hit('proofingAttemptsPerIp', request.ip);
      await audit(request, p, AUDIT_EVENTS.PHOTO_ID_FAILED, { checkId: check.id, reasons: decision.reasons });
      return 'failed';
    }

    // Referred: what the automation could not decide, or what the person asked a person to check.
    const referredBecause =
      (record.referredBecause as string | undefined) ??
      (askedForReview ? 'asked-for-review' : bound.pds !== 'matched' ? `pds-${bound.pds}` : 'automation');
    record.referredBecause = referredBecause;
    const attemptId = await recordProofingAttempt(deps.db, {
      accountId: account.id,
      route: ROUTE,
      outcome: 'referred',
      evidence: attemptEvidence('referred', { referredBecause }),
    });
    await submitCheck(deps.db, check.id, {
      status: 'referred',
      decision: record,
      faceDescriptor,
      askedForReview,
      proofingAttemptId: attemptId,
    });
    await queuePhotoIdCheck(deps.db, {
      accountId: account.id,
      photoIdCheckId: check.id,
      proofingAttemptId: attemptId,
      summary: summaryOf(check, kind, record, askedForReview, referredBecause),
    });
    await audit(request, p, AUDIT_EVENTS.PHOTO_ID_REFERRED, {
      checkId: check.id,
      reasons: record.reasons,
      askedForReview,
      referredBecause,
    });
    await kit.notify(request, { type: 'email-photo-id-referred', to: account.email });
    return 'referred';
  }

  // -------------------------------------------------------------------------
  // The outcome

  app.get(`${BASE}/outcome`, async (request, reply) => {
    const p = await kit.proving(request, reply);
    if (typeof p === 'string') return kit.elsewhere(reply, p);
    const latest = await findLatestSubmittedCheck(deps.db, p.account.id);
    if (!latest) return reply.redirect(BASE, 303);
    const decision = (latest.decision ?? {}) as { nextSteps?: NextStep[] };
    const account = await findAccountById(deps.db, p.account.id);
    return kit.page(reply, p, 'prove-identity/photo-id-outcome.njk', {
      status: latest.status,
      level: account?.proofing_level,
      nextSteps: (decision.nextSteps ?? []).map((step) => NEXT_STEP_TEXT[step]),
      canContinue: Boolean(p.stepUp) && signInSatisfied(p.journey.state),
    });
  });
}

/** What the ID checker queue shows of a photo ID check. */
function summaryOf(
  check: PhotoIdCheck,
  kind: DocumentKind,
  record: Record<string, unknown>,
  askedForReview: boolean,
  referredBecause: string,
): Record<string, unknown> {
  return {
    route: ROUTE,
    photoIdCheckId: check.id,
    documentKind: kind,
    outcome: record.outcome,
    reasons: record.reasons,
    askedForReview,
    referredBecause,
    gpg45: record.gpg45,
  };
}

/** The face part of the GPG45 facts, from the decision's checks (one set of thresholds decides). */
function faceFacts(checks: readonly CheckResult[], face: FaceEvidence): FaceFacts {
  const match = checks.find((c) => c.check === 'face-match');
  const comparison = !match
    ? 'refer'
    : match.result === 'pass'
      ? 'match'
      : match.result === 'fail'
        ? 'no-match'
        : 'refer';
  const live = checks.filter((c) => c.check === 'liveness' || c.check === 'spoken-digits');
  const liveness = live.some((c) => c.result === 'fail')
    ? 'not-live'
    : live.some((c) => c.result === 'refer') || live.length === 0
      ? 'refer'
      : 'live';
  const distances = face.frames.flatMap((f) => (f.distance === undefined ? [] : [f.distance]));
  const distance = typeof match?.value === 'number' ? match.value : distances[0];
  return { comparison, liveness, ...(distance === undefined ? {} : { distance }) };
}
