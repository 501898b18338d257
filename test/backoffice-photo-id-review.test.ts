// The ID checker reviews photo ID referrals in the back office: the queue
// shows them as their own kind, oldest first, with how long they have
// waited; the item shows the document photo, the video and its frames (each
// served decrypted, never cached, only to checkers who may open the item),
// the digits, the document against the account and every automated check;
// the checker approves (P9, with the review in the GPG45 evidence) or
// rejects (the person is emailed the reason's words) once. Document and face
// fraud signals show both accounts' evidence. Rows and evidence are made
// directly here (the person's pages are built separately), the evidence
// through the real encrypted evidence store.
import { randomBytes, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createFileEvidenceStore,
  type EvidenceStore,
} from '../src/adapters/document-check/evidence-store.js';
import { readOutbox } from '../src/adapters/notify/outbox.js';
import { AUDIT_EVENTS } from '../src/audit/events.js';
import { REJECT_REASONS } from '../src/backoffice/id-checks/photo-id-review.js';
import type { CheckResult } from '../src/domain/photo-id.js';
import { findAccountById, updateAccount, type Account } from '../src/store/accounts.js';
import { approvePhotoIdCheck, rejectPhotoIdCheck } from '../src/store/photo-id-review.js';
import { TestBrowser, type Page } from './support/browser.js';
import { DEMO } from './support/face-images.js';
import { newPerson } from './support/people.js';
import { startTestService, type TestService } from './support/service.js';
import { expectRedirect, staffHelpers, type SignedInStaff } from './support/staff.js';

let service: TestService;
const db = () => service.database.db;
let staffMember: ReturnType<typeof staffHelpers>['staffMember'];
let evidence: EvidenceStore;
let jpeg: Buffer;
let otherJpeg: Buffer;
/** A WebM file's EBML header: enough for the store and the route, not a playable video. */
const WEBM = Buffer.from([0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x86, 0x81, 0x01, 0x42, 0xf7, 0x81, 0x01]);

beforeAll(async () => {
  service = await startTestService();
  ({ staffMember } = staffHelpers(service));
  evidence = createFileEvidenceStore({
    dir: service.config.evidence.dir,
    keyBase64: service.config.encryptionKey!,
    retentionDays: service.config.evidence.retentionDays,
  });
  jpeg = await readFile(path.join(DEMO, 'sample3.jpg'));
  otherJpeg = await readFile(path.join(DEMO, 'sample6.jpg'));
});
afterAll(async () => {
  await service?.close();
});

/** A P5 person bound to a national record (as a demographics match leaves them). */
async function p5Person(tag: string, odsCode = 'A81001'): Promise<Account> {
  const person = await newPerson(db(), tag);
  await updateAccount(db(), person.id, {
    proofing_level: 'P5',
    nhs_number_hash: `test-hash-${randomBytes(8).toString('hex')}`,
    family_name: 'Ashworth',
    given_name: 'Priya',
    birthdate: '1984-03-17',
    gp_ods_code: odsCode,
  });
  return (await findAccountById(db(), person.id))!;
}

/** What the automation said of a typical referral: the faces too close to call, a changed surname. */
const REFERRED_CHECKS: CheckResult[] = [
  { check: 'document-accepted', result: 'pass' },
  { check: 'document-integrity', result: 'pass' },
  { check: 'expiry', result: 'pass', value: 'in-date' },
  { check: 'details-source', result: 'pass', value: 'machine-read' },
  { check: 'family-name', result: 'refer', reason: 'family-name-differs' },
  { check: 'given-names', result: 'pass' },
  { check: 'birth-date', result: 'pass' },
  { check: 'document-face', result: 'pass', value: 1 },
  { check: 'liveness', result: 'pass', value: 0.071 },
  { check: 'face-match', result: 'refer', reason: 'face-match-uncertain', value: 0.48 },
  { check: 'spoken-digits', result: 'refer', reason: 'spoken-digits-not-checked' },
];

interface Referral {
  person: Account;
  itemId: string;
  photoIdCheckId: string;
  photoId: string;
  videoId: string;
  frameIds: string[];
}

/** A photo ID check referred to the queue, with its evidence in the store. */
async function photoIdCheck(
  person: Account,
  options: {
    checks?: CheckResult[];
    submittedMinutesAgo?: number;
    photo?: Buffer;
    askedForReview?: boolean;
    status?: 'referred' | 'passed';
    /** The record the check was about, as the journey keeps it with the decision. */
    nhsNumberHash?: string;
  } = {},
): Promise<Omit<Referral, 'itemId'>> {
  const photo = await evidence.put({
    kind: 'document-photo',
    contentType: 'image/jpeg',
    bytes: options.photo ?? jpeg,
  });
  const video = await evidence.put({ kind: 'video', contentType: 'video/webm', bytes: WEBM });
  const frames = await Promise.all(
    [0, 1, 2].map(() => evidence.put({ kind: 'video-frame', contentType: 'image/jpeg', bytes: jpeg })),
  );
  const checks = options.checks ?? REFERRED_CHECKS;
  const id = randomUUID();
  await db()
    .insertInto('photo_id_checks')
    .values({
      id,
      account_id: person.id,
      status: options.status ?? 'referred',
      document_kind: 'passport',
      document: JSON.stringify({
        kind: 'passport',
        identity: { kind: 'passport', issuingState: 'GBR', mrz: { format: 'TD3', documentCode: 'P' } },
        details: {
          familyName: 'ASHWORTH-SMITH',
          givenNames: ['PRIYA'],
          birthDate: '1984-03-17',
          expiryDate: '2031-06-30',
          issuingState: 'GBR',
        },
        documentNumberSealed: 'SEALED-NUMBER-NOT-FOR-EYES',
        source: 'machine-read',
        integrity: { valid: true },
        lastFour: '4321',
      }),
      document_photo_id: photo.id,
      digits: '4071',
      video_id: video.id,
      frame_ids: JSON.stringify(frames.map((f) => f.id)),
      decision: JSON.stringify({
        outcome: 'refer',
        reasons: [...new Set(checks.flatMap((c) => (c.result === 'refer' ? [c.reason] : [])))],
        checks,
        gpg45: { confidence: 'none', profile: null, level: 'P5', explanation: [] },
        ...(options.nhsNumberHash ? { nhsNumberHash: options.nhsNumberHash } : {}),
      }),
      asked_for_review: options.askedForReview ?? false,
      submitted_at: new Date(Date.now() - (options.submittedMinutesAgo ?? 30) * 60_000),
    })
    .execute();
  return {
    person,
    photoIdCheckId: id,
    photoId: photo.id,
    videoId: video.id,
    frameIds: frames.map((f) => f.id),
  };
}

async function referral(
  person: Account,
  options: Parameters<typeof photoIdCheck>[1] = {},
): Promise<Referral> {
  const check = await photoIdCheck(person, options);
  const itemId = randomUUID();
  await db()
    .insertInto('id_checks')
    .values({
      id: itemId,
      account_id: person.id,
      kind: 'photo-id',
      signal: null,
      summary: JSON.stringify({ route: 'photo-id', outcome: 'referred' }),
      photo_id_check_id: check.photoIdCheckId,
    })
    .execute();
  return { ...check, itemId };
}

async function events(code: string, accountId: string) {
  return db()
    .selectFrom('audit_events')
    .selectAll()
    .where('code', '=', code)
    .where('account_id', '=', accountId)
    .orderBy('id')
    .execute();
}

const item = (id: string) =>
  db().selectFrom('id_checks').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const photoRow = (id: string) =>
  db().selectFrom('photo_id_checks').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const attempts = (accountId: string) =>
  db().selectFrom('proofing_attempts').selectAll().where('account_id', '=', accountId).execute();
const mail = (to: string) => readOutbox(db(), { recipient: to, limit: 10 });

/** The raw bytes of a GET, as the browser's cookies allow (TestBrowser reads bodies as text). */
async function fetchBytes(browser: TestBrowser, url: string, range?: string) {
  const res = await service.app.inject({
    method: 'GET',
    url,
    headers: {
      cookie: [...browser.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
      ...(range ? { range } : {}),
    },
  });
  return {
    status: res.statusCode,
    headers: res.headers,
    bytes: res.rawPayload,
    location: res.headers.location,
  };
}

/** Opens the item, then posts the decision. */
async function decide(browser: TestBrowser, itemId: string, form: Record<string, string>): Promise<Page> {
  expect((await browser.get(`/backoffice/id-checks/${itemId}`)).status).toBe(200);
  return browser.post(`/backoffice/id-checks/${itemId}`, form);
}

const evidenceUrl = (itemId: string, evidenceId: string) =>
  `/backoffice/id-checks/${itemId}/evidence/${evidenceId}`;

let checker: SignedInStaff;
beforeAll(async () => {
  checker = await staffMember('id-checker', 'X26');
});

describe('the queue', () => {
  it('lists photo ID referrals as their own kind, oldest first, with how long they have waited', async () => {
    const older = await referral(await p5Person('pid-older'), { submittedMinutesAgo: 2 * 1440 + 185 });
    const newer = await referral(await p5Person('pid-newer'), {
      submittedMinutesAgo: 65,
      askedForReview: true,
    });
    const signalPerson = await p5Person('pid-signal');
    const signalId = randomUUID();
    await db()
      .insertInto('id_checks')
      .values({
        id: signalId,
        account_id: signalPerson.id,
        kind: 'fraud-signal',
        signal: 'too-many-attempts',
        summary: '{}',
      })
      .execute();

    const list = await checker.browser.get('/backoffice/id-checks?kind=photo-id');
    expect(list.status).toBe(200);
    const first = list.body.indexOf(`/backoffice/id-checks/${older.itemId}"`);
    const second = list.body.indexOf(`/backoffice/id-checks/${newer.itemId}"`);
    expect(first).toBeGreaterThan(0);
    expect(second).toBeGreaterThan(first);
    expect(list.body).not.toContain(`/backoffice/id-checks/${signalId}"`);
    expect(list.body).toContain('Photo ID and video to review');
    expect(list.body).toContain('Photo ID: the person asked for a person to check');
    expect(list.body).toContain('Waiting for');
    expect(list.body).toContain('2 days 3 hours');
    expect(list.body).toContain('1 hour 5 minutes');
    expect(list.body).toContain('<strong>Photo ID referrals</strong>');

    const signals = await checker.browser.get('/backoffice/id-checks?kind=fraud-signal');
    expect(signals.body).toContain(`/backoffice/id-checks/${signalId}"`);
    expect(signals.body).not.toContain(`/backoffice/id-checks/${older.itemId}"`);
    const all = await checker.browser.get('/backoffice/id-checks');
    expect(all.body).toContain(`/backoffice/id-checks/${signalId}"`);
    expect(all.body).toContain(`/backoffice/id-checks/${older.itemId}"`);
  });
});

describe('the item', () => {
  it('shows the evidence side by side, the digits, the document against the account and every check (audited)', async () => {
    const r = await referral(await p5Person('pid-item'));
    const page = await checker.browser.get(`/backoffice/id-checks/${r.itemId}`);
    expect(page.status).toBe(200);
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.body).toContain(`<img class="nhsuk-u-width-full" src="${evidenceUrl(r.itemId, r.photoId)}"`);
    expect(page.body).toMatch(
      new RegExp(
        `<video class="nhsuk-u-width-full" controls preload="metadata" src="${evidenceUrl(r.itemId, r.videoId)}"`,
      ),
    );
    for (const f of r.frameIds) expect(page.body).toContain(`src="${evidenceUrl(r.itemId, f)}"`);
    expect(page.body).toContain('4071');
    // The document against the account.
    expect(page.body).toContain('ASHWORTH-SMITH');
    expect(page.body).toContain('Ashworth');
    expect(page.body).toContain('17 March 1984');
    expect(page.body).toContain('4321');
    expect(page.body).not.toContain('SEALED-NUMBER-NOT-FOR-EYES');
    // Every automated check, in words, with its value and reason.
    expect(page.body).toContain('Face in the video against the document photo');
    expect(page.body).toContain('Distance 0.48');
    expect(page.body).toContain('The faces may match: too close for the machine to call');
    expect(page.body).toContain('The last name differs from the GP record');
    expect(page.body).toContain('Movement 0.071');
    expect(page.body).toContain('For you to check');
    expect(page.body.match(/<td class="nhsuk-table__cell">Passed<\/td>/g)).toHaveLength(8);
    // The reasons, from the fixed lists.
    expect(page.body).toContain('value="document-and-face-match"');
    expect(page.body).toContain('value="digits-not-said"');
    expect(page.body).toContain('Record decision');
    const viewed = await events(AUDIT_EVENTS.ID_CHECK_VIEWED, r.person.id);
    expect(viewed).toHaveLength(1);
    expect(viewed[0]!.details).toMatchObject({ staffId: checker.id, checkId: r.itemId });
  });
});

describe('the evidence route', () => {
  let r: Referral;
  beforeAll(async () => {
    r = await referral(await p5Person('pid-evidence'));
  });

  it('streams the decrypted photo and video, never cached, with the stored content type', async () => {
    const photo = await fetchBytes(checker.browser, evidenceUrl(r.itemId, r.photoId));
    expect(photo.status).toBe(200);
    expect(Buffer.compare(photo.bytes, jpeg)).toBe(0);
    expect(photo.headers['content-type']).toBe('image/jpeg');
    expect(photo.headers['cache-control']).toBe('no-store');
    expect(photo.headers['x-content-type-options']).toBe('nosniff');
    const video = await fetchBytes(checker.browser, evidenceUrl(r.itemId, r.videoId));
    expect(video.status).toBe(200);
    expect(video.headers['content-type']).toBe('video/webm');
    expect(Buffer.compare(video.bytes, WEBM)).toBe(0);
    const frame = await fetchBytes(checker.browser, evidenceUrl(r.itemId, r.frameIds[2]!));
    expect(frame.status).toBe(200);
    // A player seeking in the video asks for a part.
    const part = await fetchBytes(checker.browser, evidenceUrl(r.itemId, r.videoId), 'bytes=2-5');
    expect(part.status).toBe(206);
    expect(part.headers['content-range']).toBe(`bytes 2-5/${WEBM.length}`);
    expect(Buffer.compare(part.bytes, WEBM.subarray(2, 6))).toBe(0);
    expect(part.headers['cache-control']).toBe('no-store');
    const tail = await fetchBytes(checker.browser, evidenceUrl(r.itemId, r.videoId), 'bytes=-3');
    expect(Buffer.compare(tail.bytes, WEBM.subarray(-3))).toBe(0);
    const beyond = await fetchBytes(checker.browser, evidenceUrl(r.itemId, r.videoId), 'bytes=100-');
    expect(beyond.status).toBe(416);
    expect(beyond.headers['content-range']).toBe(`bytes */${WEBM.length}`);
  });

  it('serves only the item’s own evidence', async () => {
    const elsewhere = await referral(await p5Person('pid-evidence-other'), { photo: otherJpeg });
    // Another item's photo, asked for through this item: not found.
    expect((await fetchBytes(checker.browser, evidenceUrl(r.itemId, elsewhere.photoId))).status).toBe(404);
    expect((await fetchBytes(checker.browser, evidenceUrl(r.itemId, 'no-such-evidence'))).status).toBe(404);
    expect((await fetchBytes(checker.browser, evidenceUrl('no-such-item', r.photoId))).status).toBe(404);
    // Evidence past its retention (gone from the store) is not found either.
    await evidence.delete(r.frameIds[0]!);
    expect((await fetchBytes(checker.browser, evidenceUrl(r.itemId, r.frameIds[0]!))).status).toBe(404);
  });

  it('refuses other roles, other organisations, anonymous browsers and the checker’s own NHS login', async () => {
    const url = evidenceUrl(r.itemId, r.photoId);
    for (const role of ['support', 'operator', 'auditor', 'practice-staff'] as const) {
      const staff = await staffMember(role, 'X26');
      const res = await fetchBytes(staff.browser, url);
      expect(res.status, role).toBe(403);
      expect(res.bytes.includes(jpeg.subarray(0, 64))).toBe(false);
    }
    const anonymous = await fetchBytes(new TestBrowser(service.app), url);
    expect(anonymous.status).toBe(303);
    expect(anonymous.location).toBe('/backoffice/sign-in');
    // A checker at another organisation: the person is registered at A81001.
    const there = await staffMember('id-checker', 'B82005');
    expect((await fetchBytes(there.browser, url)).status).toBe(404);
    const here = await staffMember('id-checker', 'A81001');
    expect((await fetchBytes(here.browser, url)).status).toBe(200);
    // The checker's own NHS login.
    const own = await referral(await p5Person('pid-own'));
    const me = await staffMember('id-checker', 'X26');
    await updateAccount(db(), own.person.id, { email: me.email });
    expect((await fetchBytes(me.browser, evidenceUrl(own.itemId, own.photoId))).status).toBe(403);
    expect((await me.browser.get(`/backoffice/id-checks/${own.itemId}`)).status).toBe(403);
  });
});

describe('deciding', () => {
  it('refuses a reason that is not on the list, with the error summary, keeping the note', async () => {
    const r = await referral(await p5Person('pid-invalid'));
    const empty = await decide(checker.browser, r.itemId, {});
    expect(empty.status).toBe(400);
    expect(empty.body).toContain('nhsuk-error-summary');
    expect(empty.body).toContain('href="#reason"');
    expect(empty.body).toContain('Select approve or reject, with the reason');
    const madeUp = await checker.browser.post(`/backoffice/id-checks/${r.itemId}`, {
      reason: 'looks-fine-to-me',
      note: 'kept words',
    });
    expect(madeUp.status).toBe(400);
    expect(madeUp.body).toContain('kept words');
    // A fraud signal's decision is not a photo ID reason.
    const wrongList = await checker.browser.post(`/backoffice/id-checks/${r.itemId}`, {
      reason: 'genuine-explained',
    });
    expect(wrongList.status).toBe(400);
    const long = await checker.browser.post(`/backoffice/id-checks/${r.itemId}`, {
      reason: 'document-and-face-match',
      note: 'x'.repeat(501),
    });
    expect(long.status).toBe(400);
    expect(long.body).toContain('Note must be 500 characters or fewer');
    expect(long.body).toMatch(/value="document-and-face-match" checked/);
    expect((await item(r.itemId)).status).toBe('open');
    expect((await findAccountById(db(), r.person.id))!.proofing_level).toBe('P5');
  });

  it('approval raises the account to P9 with the review in its GPG45 evidence, emails and audits; a second decision is refused', async () => {
    const r = await referral(await p5Person('pid-approve'));
    const colleague = await staffMember('id-checker', 'X26');
    expect((await colleague.browser.get(`/backoffice/id-checks/${r.itemId}`)).status).toBe(200);
    const done = await decide(checker.browser, r.itemId, {
      reason: 'name-change-explained',
      note: 'Married name on the passport',
    });
    expectRedirect(done, `/backoffice/id-checks/${r.itemId}?done=yes`);

    expect((await findAccountById(db(), r.person.id))!.proofing_level).toBe('P9');
    expect(await item(r.itemId)).toMatchObject({
      status: 'approved',
      decided_by: checker.id,
      decision_reason: 'name-change-explained',
      note: 'Married name on the passport',
    });
    const photo = await photoRow(r.photoIdCheckId);
    expect(photo.status).toBe('approved');
    expect(photo.decided_at).toBeInstanceOf(Date);
    expect(photo.decision).toMatchObject({
      outcome: 'refer',
      review: { outcome: 'approved', reason: 'name-change-explained', staffId: checker.id },
    });
    const [attempt] = await attempts(r.person.id);
    expect(attempt).toMatchObject({ route: 'photo-id', outcome: 'approved', level_given: 'P9' });
    const gpg45 = attempt!.evidence.gpg45 as Record<string, unknown>;
    expect(gpg45).toMatchObject({
      level: 'P9',
      confidence: 'low',
      scores: { evidence: [{ kind: 'passport', strength: 3, validity: 2 }], verification: 3 },
    });
    expect(JSON.stringify(gpg45.explanation)).toBeTruthy();
    expect(attempt!.evidence).toMatchObject({
      photoIdCheckId: r.photoIdCheckId,
      review: { staffId: checker.id, reason: 'name-change-explained', note: 'Married name on the passport' },
    });

    const messages = await mail(r.person.email);
    expect(messages.map((m) => m.subject)).toEqual(['You have proved who you are with NHS login']);
    const approved = await events(AUDIT_EVENTS.PHOTO_ID_APPROVED, r.person.id);
    expect(approved).toHaveLength(1);
    expect(approved[0]!.details).toMatchObject({
      staffId: checker.id,
      checkId: r.itemId,
      photoIdCheckId: r.photoIdCheckId,
      reason: 'name-change-explained',
      level: 'P9',
    });
    expect(await events(AUDIT_EVENTS.IDENTITY_PROVED, r.person.id)).toHaveLength(1);

    const page = await checker.browser.get(`/backoffice/id-checks/${r.itemId}?done=yes`);
    expect(page.body).toContain('Decision recorded');
    expect(page.body).not.toContain('Record decision');

    // The colleague had the same item open: their decision is refused, and nothing more happens.
    const again = await colleague.browser.post(`/backoffice/id-checks/${r.itemId}`, {
      reason: 'face-does-not-match',
    });
    expect(again.status).toBe(409);
    expect(again.body).toContain('This item has already been decided. Nothing was changed.');
    expect((await item(r.itemId)).status).toBe('approved');
    expect((await photoRow(r.photoIdCheckId)).status).toBe('approved');
    expect(await attempts(r.person.id)).toHaveLength(1);
    expect(await mail(r.person.email)).toHaveLength(1);
    expect(await events(AUDIT_EVENTS.PHOTO_ID_REJECTED, r.person.id)).toHaveLength(0);
  });

  it('two checkers deciding at the same moment: exactly one decision is taken', async () => {
    const r = await referral(await p5Person('pid-race'));
    const colleague = await staffMember('id-checker', 'X26');
    for (const b of [checker.browser, colleague.browser])
      expect((await b.get(`/backoffice/id-checks/${r.itemId}`)).status).toBe(200);
    const pages = await Promise.all([
      checker.browser.post(`/backoffice/id-checks/${r.itemId}`, { reason: 'document-and-face-match' }),
      colleague.browser.post(`/backoffice/id-checks/${r.itemId}`, { reason: 'digits-not-said' }),
    ]);
    expect(pages.map((p) => p.status).sort()).toEqual([303, 409]);
    const won = (await item(r.itemId)).status;
    expect((await photoRow(r.photoIdCheckId)).status).toBe(won);
    expect(await mail(r.person.email)).toHaveLength(1);
    expect((await findAccountById(db(), r.person.id))!.proofing_level).toBe(won === 'approved' ? 'P9' : 'P5');
  });

  it('the store decides once, each guard in the same transaction as the raise', async () => {
    const person = await p5Person('pid-store');
    const r = await referral(person);
    const review = (outcome: 'approved' | 'rejected') => ({
      outcome,
      reason: 'x',
      reasonText: 'x',
      note: null,
      staffId: checker.id,
      decidedAt: new Date().toISOString(),
    });
    const input = { idCheckId: r.itemId, photoIdCheckId: r.photoIdCheckId, accountId: person.id };
    const approve = () =>
      approvePhotoIdCheck(db(), {
        ...input,
        review: review('approved'),
        nhsNumberHash: person.nhs_number_hash!,
        attempt: { outcome: 'approved', evidence: {} },
      });
    expect(await rejectPhotoIdCheck(db(), { ...input, review: review('rejected') })).toEqual({ ok: true });
    expect(await approve()).toEqual({ ok: false, reason: 'already-decided' });
    expect(await rejectPhotoIdCheck(db(), { ...input, review: review('rejected') })).toEqual({
      ok: false,
      reason: 'already-decided',
    });
    expect((await item(r.itemId)).status).toBe('rejected');
    expect((await findAccountById(db(), person.id))!.proofing_level).toBe('P5');
    expect(await attempts(person.id)).toHaveLength(0);

    // An open item whose check is no longer waiting for a checker: refused, and the item stays open.
    const passed = await referral(await p5Person('pid-store-passed'), { status: 'passed' });
    expect(
      await rejectPhotoIdCheck(db(), {
        idCheckId: passed.itemId,
        photoIdCheckId: passed.photoIdCheckId,
        accountId: passed.person.id,
        review: review('rejected'),
      }),
    ).toEqual({ ok: false, reason: 'already-decided' });
    expect((await item(passed.itemId)).status).toBe('open');
    expect((await photoRow(passed.photoIdCheckId)).status).toBe('passed');
  });

  it('rejection emails the person the reason’s words and leaves the level alone', async () => {
    const r = await referral(await p5Person('pid-reject'));
    expectRedirect(
      await decide(checker.browser, r.itemId, { reason: 'digits-not-said', note: '' }),
      `/backoffice/id-checks/${r.itemId}?done=yes`,
    );
    expect((await findAccountById(db(), r.person.id))!.proofing_level).toBe('P5');
    expect(await item(r.itemId)).toMatchObject({
      status: 'rejected',
      decision_reason: 'digits-not-said',
      note: null,
    });
    const photo = await photoRow(r.photoIdCheckId);
    expect(photo.status).toBe('rejected');
    const words = REJECT_REASONS.find((x) => x.value === 'digits-not-said')!.personText;
    expect(photo.decision).toMatchObject({ review: { outcome: 'rejected', personText: words } });
    expect(await attempts(r.person.id)).toHaveLength(0);
    const [message] = await mail(r.person.email);
    expect(message!.subject).toBe('NHS login: we could not confirm who you are');
    expect(message!.body).toContain(words);
    const rejected = await events(AUDIT_EVENTS.PHOTO_ID_REJECTED, r.person.id);
    expect(rejected).toHaveLength(1);
    expect(rejected[0]!.details).toMatchObject({ staffId: checker.id, reason: 'digits-not-said' });
    expect(await events(AUDIT_EVENTS.PHOTO_ID_APPROVED, r.person.id)).toHaveLength(0);
  });

  it('an account whose level was suspended meanwhile is not raised, and the checker is told', async () => {
    const r = await referral(await p5Person('pid-suspended'));
    expect((await checker.browser.get(`/backoffice/id-checks/${r.itemId}`)).status).toBe(200);
    // The sign-in re-check found the record changed and suspended the level.
    await updateAccount(db(), r.person.id, {
      proofing_level: 'P0',
      proofing_suspended_at: new Date(),
      proofing_suspended_level: 'P5',
      proofing_suspended_reason: 'details-changed',
    });
    const page = await checker.browser.post(`/backoffice/id-checks/${r.itemId}`, {
      reason: 'document-and-face-match',
    });
    expect(page.status).toBe(409);
    expect(page.body).toContain('no longer stands on the national record');
    expect((await item(r.itemId)).status).toBe('open');
    expect((await photoRow(r.photoIdCheckId)).status).toBe('referred');
    expect((await findAccountById(db(), r.person.id))!.proofing_level).toBe('P0');
    expect(await attempts(r.person.id)).toHaveLength(0);
    expect(await mail(r.person.email)).toHaveLength(0);
    expect(await events(AUDIT_EVENTS.PHOTO_ID_APPROVED, r.person.id)).toHaveLength(0);
  });

  it('an account rebound to another record is not raised: the decision is rolled back with the raise (record-changed)', async () => {
    const person = await p5Person('pid-rebound');
    const r = await referral(person, { nhsNumberHash: person.nhs_number_hash! });
    expect((await checker.browser.get(`/backoffice/id-checks/${r.itemId}`)).status).toBe(200);
    // Bound to another national record meanwhile, still P5.
    await updateAccount(db(), person.id, { nhs_number_hash: `test-hash-${randomBytes(8).toString('hex')}` });
    const page = await checker.browser.post(`/backoffice/id-checks/${r.itemId}`, {
      reason: 'document-and-face-match',
    });
    expect(page.status).toBe(409);
    expect(page.body).toContain('no longer stands on the national record');
    // The queue item and the check were closed in the same transaction as the raise: both rolled back.
    expect((await item(r.itemId)).status).toBe('open');
    expect((await item(r.itemId)).decided_by).toBeNull();
    expect((await photoRow(r.photoIdCheckId)).status).toBe('referred');
    expect((await photoRow(r.photoIdCheckId)).decision).not.toHaveProperty('review');
    expect((await findAccountById(db(), person.id))!.proofing_level).toBe('P5');
    expect(await attempts(person.id)).toHaveLength(0);
    expect(await mail(person.email)).toHaveLength(0);
    // With the record it was about, the same item is approved.
    await updateAccount(db(), person.id, { nhs_number_hash: person.nhs_number_hash });
    expectRedirect(
      await checker.browser.post(`/backoffice/id-checks/${r.itemId}`, { reason: 'document-and-face-match' }),
      `/backoffice/id-checks/${r.itemId}?done=yes`,
    );
    expect((await findAccountById(db(), person.id))!.proofing_level).toBe('P9');
  });

  it('an approval whose GPG45 scores would not reach P9 is refused (a date of birth that differs)', async () => {
    const checks = REFERRED_CHECKS.map((c) =>
      c.check === 'birth-date'
        ? ({ check: 'birth-date', result: 'fail', reason: 'birth-date-differs' } as const)
        : c,
    );
    const r = await referral(await p5Person('pid-dob'), { checks, askedForReview: true });
    const page = await decide(checker.browser, r.itemId, { reason: 'document-and-face-match' });
    expect(page.status).toBe(400);
    expect(page.body).toContain('cannot be approved');
    expect((await item(r.itemId)).status).toBe('open');
    expect((await findAccountById(db(), r.person.id))!.proofing_level).toBe('P5');
    // Rejecting it still works.
    expectRedirect(
      await checker.browser.post(`/backoffice/id-checks/${r.itemId}`, { reason: 'details-do-not-match' }),
      `/backoffice/id-checks/${r.itemId}?done=yes`,
    );
  });
});

describe('what cannot be approved', () => {
  it('a document NHS login does not accept is rejected, never approved', async () => {
    const checks = REFERRED_CHECKS.map((c) =>
      c.check === 'document-accepted'
        ? ({
            check: 'document-accepted',
            result: 'fail',
            reason: 'document-not-accepted',
            value: 'issuer-not-accepted',
          } as const)
        : c,
    );
    const r = await referral(await p5Person('pid-not-accepted'), { checks, askedForReview: true });
    const page = await decide(checker.browser, r.itemId, { reason: 'document-and-face-match' });
    expect(page.status).toBe(400);
    expect(page.body).toContain('the document is not one NHS login accepts');
    expect((await item(r.itemId)).status).toBe('open');
    expect((await findAccountById(db(), r.person.id))!.proofing_level).toBe('P5');
    expect(await mail(r.person.email)).toHaveLength(0);
  });
});

describe('document and face fraud signals', () => {
  it('show both accounts’ evidence, each served through the item', async () => {
    const owner = await p5Person('pid-doc-owner', 'A81001');
    const ownerCheck = await photoIdCheck(owner, { status: 'passed', photo: otherJpeg });
    const second = await p5Person('pid-doc-second', 'A81001');
    const secondCheck = await photoIdCheck(second);
    const signalId = randomUUID();
    await db()
      .insertInto('id_checks')
      .values({
        id: signalId,
        account_id: second.id,
        kind: 'fraud-signal',
        signal: 'document-in-use',
        summary: JSON.stringify({
          route: 'photo-id',
          outcome: 'document-in-use',
          otherAccountId: owner.id,
          otherPhotoIdCheckId: ownerCheck.photoIdCheckId,
        }),
        photo_id_check_id: secondCheck.photoIdCheckId,
      })
      .execute();

    const page = await checker.browser.get(`/backoffice/id-checks/${signalId}`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('Photo ID document already used by another account');
    expect(page.body).toContain('This account’s photo ID and video');
    expect(page.body).toContain('The other account’s photo ID and video');
    expect(page.body).toContain(`src="${evidenceUrl(signalId, secondCheck.photoId)}"`);
    expect(page.body).toContain(`src="${evidenceUrl(signalId, ownerCheck.photoId)}"`);
    expect(page.body).toContain(owner.id);
    // The fraud signal keeps its own decisions.
    expect(page.body).toContain('value="confirmed-fraud"');

    const theirs = await fetchBytes(checker.browser, evidenceUrl(signalId, ownerCheck.photoId));
    expect(theirs.status).toBe(200);
    expect(Buffer.compare(theirs.bytes, otherJpeg)).toBe(0);
    const mine = await fetchBytes(checker.browser, evidenceUrl(signalId, secondCheck.videoId));
    expect(mine.status).toBe(200);

    // A checker at the second account's organisation, when the owner is registered elsewhere.
    await updateAccount(db(), owner.id, { gp_ods_code: 'B82005' });
    const local = await staffMember('id-checker', 'A81001');
    const limited = await local.browser.get(`/backoffice/id-checks/${signalId}`);
    expect(limited.status).toBe(200);
    expect(limited.body).toContain(`src="${evidenceUrl(signalId, secondCheck.photoId)}"`);
    expect(limited.body).not.toContain(evidenceUrl(signalId, ownerCheck.photoId));
    expect(limited.body).toContain('registered at another organisation');
    expect((await fetchBytes(local.browser, evidenceUrl(signalId, ownerCheck.photoId))).status).toBe(404);
  });
});
