// Proving who you are to P9 with photo ID and a video selfie, over HTTP:
// the pages (document, photo, details, video, check your answers), their
// validation, the three outcomes (pass, fail with what to try next, referral
// to the ID checker queue), the person asking for a person to check, coming
// back to a saved check, the same document or face on a second account
// (fraud signals), the limits, and step-up from a supplier. Faces are
// measured by a scripted matcher (descriptions chosen per image size), and
// once by the real face-api model (in its worker thread) on the package's
// demo photos.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { latestCode, readOutbox } from '../src/adapters/notify/outbox.js';
import { mrzCheckDigit, parseMrz } from '../src/adapters/document-check/mrz.js';
import type { DetectedFace, FaceDescription, FaceMatcher } from '../src/adapters/face-match/port.js';
import { descriptorDistance } from '../src/adapters/face-match/port.js';
import { createWorkerFaceMatcher } from '../src/adapters/face-match/worker-matcher.js';
import { AUDIT_EVENTS } from '../src/audit/events.js';
import { TEST_PASSWORD } from '../src/cli/seed.js';
import {
  FACE_THRESHOLDS,
  NEXT_STEP_TEXT,
  PHOTO_ID_POLICY,
  type PhotoIdPolicy,
} from '../src/domain/photo-id.js';
import { err, ok } from '../src/domain/result.js';
import { usePhotoIdPolicy } from '../src/journeys/prove-identity/photo-id.js';
import { findAccountById, listProofingAttempts, updateAccount, type Account } from '../src/store/accounts.js';
import { TestBrowser, type Page } from './support/browser.js';
import { NHS_NUMBER_IN_CLEAR } from './support/demographics.js';
import { crop, identityCard, speaking, writeFakeCameraVideo } from './support/face-images.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH, SKIP_BROWSER, axe, warnIfSkipped } from './support/chromium.js';
import { newPerson, signInToAccount } from './support/people.js';
import { startTestService, type TestService } from './support/service.js';
import { expectRedirect } from './support/staff.js';
import { authorizeUrl, demoSupplier } from './support/supplier.js';
import { decodeJwt, exchangeCode } from './support/token.js';

// ---------------------------------------------------------------------------
// A face matcher the tests script: each image is described by its size (the
// uploads are re-encoded, but keep their size), or measured by the real model.

const script = new Map<string, FaceDescription>();
const real = createWorkerFaceMatcher();
const faces: FaceMatcher & { mode: 'scripted' | 'real'; down: boolean } = {
  mode: 'scripted',
  down: false,
  async describe(image) {
    if (faces.down) return err({ code: 'unavailable', message: 'down for the test' });
    if (faces.mode === 'real') return real.describe(image);
    const { width, height } = await sharp(image).metadata();
    return ok(script.get(`${width}x${height}`) ?? { faces: 0, imageWidth: width, imageHeight: height });
  },
  compare: descriptorDistance,
};

/** Automatic pass allowed: what a deployment with OCR and a spoken-digits check would run. */
const AUTO_PASS: PhotoIdPolicy = {
  ...PHOTO_ID_POLICY,
  autoPass: { withDetailsTypedByPerson: true, withSpokenDigitsUnchecked: true },
};

/** A person's face: a descriptor (0.5 long, so two people are about 0.7 apart), moved `distance` along one axis. */
function descriptor(person: number, distance = 0): Float32Array {
  let seed = person * 7919 + 17;
  const values = Array.from({ length: 128 }, () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648 - 0.5;
  });
  const length = Math.hypot(...values);
  const vector = Float32Array.from(values, (v) => (v / length) * 0.5);
  vector[0]! += distance;
  return vector;
}

/** 68 landmarks, the mouth (48-67) lowered by `mouth` pixels. */
function landmarks(mouth: number): { x: number; y: number }[] {
  return Array.from({ length: 68 }, (_, i) => {
    if (i >= 36 && i <= 41) return { x: 80 + (i - 36) * 3, y: 80 };
    if (i >= 42 && i <= 47) return { x: 140 + (i - 42) * 3, y: 80 };
    const base = { x: 60 + (i % 10) * 12, y: 60 + Math.floor(i / 10) * 15 };
    return i >= 48 ? { x: base.x, y: base.y + mouth } : base;
  });
}

const detected = (person: number, distance: number, mouth: number): DetectedFace => ({
  box: { x: 50, y: 50, width: 150, height: 180 },
  score: 0.99,
  landmarks: landmarks(mouth),
  descriptor: descriptor(person, distance),
});

let sizes = 0;

/** Images for one check, with what the scripted matcher will say of them. */
async function scriptedImages(options: {
  person: number;
  /** Face distance from the document portrait to every frame. */
  distance: number;
  frames?: number;
  /** The frames' face in the video: the same person (default) or another. */
  videoPerson?: number;
}): Promise<{ photo: Buffer; frames: Buffer[] }> {
  sizes += 1;
  const image = async (width: number, height: number) =>
    sharp({ create: { width, height, channels: 3, background: '#8899aa' } })
      .jpeg()
      .toBuffer();
  const docSize = [900 + sizes, 600] as const;
  script.set(`${docSize[0]}x${docSize[1]}`, {
    faces: 2,
    main: detected(options.person, 0, 0),
    imageWidth: docSize[0],
    imageHeight: docSize[1],
  });
  const frames: Buffer[] = [];
  for (let i = 0; i < (options.frames ?? 5); i++) {
    const size = [400 + sizes, 300 + i] as const;
    script.set(`${size[0]}x${size[1]}`, {
      faces: 1,
      main: detected(options.videoPerson ?? options.person, options.distance, i * 10),
      imageWidth: size[0],
      imageHeight: size[1],
    });
    frames.push(await image(size[0], size[1]));
  }
  return { photo: await image(docSize[0], docSize[1]), frames };
}

// ---------------------------------------------------------------------------

let service: TestService;
const db = () => service.database.db;
const demo = demoSupplier();

beforeAll(async () => {
  service = await startTestService({
    faces,
    rateLimits: {
      photoIdChecksPerAccount: { points: 3 },
      proofingAttemptsPerIp: { points: 100 },
    },
  });
}, 60_000);
afterAll(async () => {
  await service?.close();
  await real.close();
});

let addresses = 0;
const freshIp = () => `203.0.113.${++addresses}`;

/** Records in the synthetic PDS, one per test (one NHS number binds one account). */
const RECORDS = {
  pass: { nhsNumber: '9990011141', familyName: 'Green', givenName: 'Isla', birthdate: '2004-09-03' },
  fail: { nhsNumber: '9990011168', familyName: 'Hall', givenName: 'Jack', birthdate: '1997-01-05' },
  refer: { nhsNumber: '9990011184', familyName: 'Begum', givenName: 'Rhys', birthdate: '1958-12-29' },
  review: { nhsNumber: '9990011192', familyName: 'Nguyen', givenName: 'Susan', birthdate: '2002-09-21' },
  resume: { nhsNumber: '9990011257', familyName: 'Nguyen', givenName: 'Grace', birthdate: '1953-03-26' },
  docFirst: { nhsNumber: '9990011311', familyName: 'Robinson', givenName: 'George', birthdate: '2009-07-24' },
  docSecond: { nhsNumber: '9990011338', familyName: 'Brown', givenName: 'Arthur', birthdate: '1962-10-04' },
  faceFirst: { nhsNumber: '9990011362', familyName: 'Nguyen', givenName: 'Ella', birthdate: '1982-02-23' },
  faceSecond: { nhsNumber: '9990011591', familyName: 'Wilson', givenName: 'David', birthdate: '1951-09-02' },
  limited: { nhsNumber: '9990011648', familyName: 'Nguyen', givenName: 'Wei', birthdate: '1983-12-27' },
  stepUpRefer: { nhsNumber: '9990011656', familyName: 'Khan', givenName: 'Charlie', birthdate: '1980-01-18' },
  stepUpPass: { nhsNumber: '9990011796', familyName: 'Kowalski', givenName: 'John', birthdate: '1999-11-15' },
  browser: { nhsNumber: '9990011966', familyName: 'MacLeod', givenName: 'Sophia', birthdate: '1990-01-30' },
  realFace: { nhsNumber: '9990011923', familyName: 'MacLeod', givenName: 'Isla', birthdate: '1990-12-13' },
  validation: { nhsNumber: '9990012008', familyName: 'Smith', givenName: 'George', birthdate: '1995-03-24' },
  licence: { nhsNumber: '9990012016', familyName: 'Adeyemi', givenName: 'Mary', birthdate: '1993-06-01' },
  down: { nhsNumber: '9990012148', familyName: 'Davies', givenName: 'Agnieszka', birthdate: '1999-06-27' },
} as const;

type TestRecord = (typeof RECORDS)[keyof typeof RECORDS];

/** A P5 account bound to a record, as if matched earlier. */
async function p5Person(tag: string, record: TestRecord): Promise<Account> {
  const person = await newPerson(db(), tag);
  await updateAccount(db(), person.id, {
    proofing_level: 'P5',
    nhs_number: service.sealer.seal(record.nhsNumber),
    nhs_number_hash: service.sealer.lookupHash(record.nhsNumber),
    family_name: record.familyName,
    given_name: record.givenName,
    birthdate: record.birthdate,
  });
  return (await findAccountById(db(), person.id))!;
}

interface Person {
  person: Account;
  browser: TestBrowser;
  ip: string;
}

async function signedIn(tag: string, record: TestRecord): Promise<Person> {
  const person = await p5Person(tag, record);
  const ip = freshIp();
  const browser = new TestBrowser(service.app, ip);
  await signInToAccount(db(), browser, person);
  return { person, browser, ip };
}

/** A TD3 (passport) zone with correct check digits. */
function passportZone(options: {
  familyName: string;
  givenName: string;
  birthdate: string;
  number: string;
  expiry?: string;
  state?: string;
}): string {
  const state = options.state ?? 'GBR';
  const name = `${options.familyName.toUpperCase()}<<${options.givenName.toUpperCase()}`.padEnd(39, '<');
  const line1 = `P<${state}${name}`;
  const yymmdd = (iso: string) => iso.slice(2, 4) + iso.slice(5, 7) + iso.slice(8, 10);
  const number = options.number.padEnd(9, '<');
  const birth = yymmdd(options.birthdate);
  const expiry = yymmdd(options.expiry ?? '2031-05-20');
  const personal = '<'.repeat(14);
  const withDigit = (s: string) => s + mrzCheckDigit(s);
  const part1 = withDigit(number);
  const part2 = withDigit(birth);
  const part3 = withDigit(expiry);
  const part4 = withDigit(personal);
  const composite = mrzCheckDigit(part1 + part2 + part3 + part4);
  const line2 = `${part1}${state}${part2}F${part3}${part4}${composite}`;
  return `${line1}\n${line2}`;
}

const zoneFor = (record: TestRecord, number: string, expiry?: string) =>
  passportZone({
    familyName: record.familyName,
    givenName: record.givenName,
    birthdate: record.birthdate,
    number,
    ...(expiry ? { expiry } : {}),
  });

/** A WebM file's first bytes (what MediaRecorder writes): enough for the sniffer. */
const WEBM = Buffer.concat([
  Buffer.from([0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x86, 0x81, 0x01, 0x42, 0x82, 0x84]),
  Buffer.from('webm'),
  randomBytes(2000),
]);

interface Upload {
  name: string;
  filename: string;
  type: string;
  bytes: Buffer;
}

/** Posts a multipart form the way the browser does, with the CSRF token of `from` (the page shown). */
async function postMultipart(
  p: Person,
  url: string,
  from: Page,
  files: Upload[],
  fields: Record<string, string> = {},
): Promise<Page> {
  const csrf = /name="_csrf" value="([^"]*)"/.exec(from.body)?.[1] ?? '';
  const boundary = `----photo-id-test-${randomBytes(8).toString('hex')}`;
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries({ _csrf: csrf, ...fields })) {
    parts.push(
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`),
    );
  }
  for (const file of files) {
    parts.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${file.name}"; filename="${file.filename}"\r\nContent-Type: ${file.type}\r\n\r\n`,
      ),
      file.bytes,
      Buffer.from('\r\n'),
    );
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  const res = await service.app.inject({
    method: 'POST',
    url,
    headers: {
      cookie: [...p.browser.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
      'content-type': `multipart/form-data; boundary=${boundary}`,
    },
    payload: Buffer.concat(parts),
    remoteAddress: p.ip,
  });
  (p.browser as unknown as { keep(headers: Record<string, unknown>): void }).keep(res.headers);
  return {
    status: res.statusCode,
    location: res.headers.location,
    body: res.body,
    headers: res.headers as Page['headers'],
  };
}

const photoUpload = (bytes: Buffer): Upload => ({
  name: 'photo',
  filename: 'id.jpg',
  type: 'image/jpeg',
  bytes,
});
const frameUploads = (frames: Buffer[]): Upload[] =>
  frames.map((bytes, i) => ({ name: 'frames', filename: `frame-${i}.jpg`, type: 'image/jpeg', bytes }));
const videoUpload = (bytes: Buffer = WEBM): Upload => ({
  name: 'video',
  filename: 'selfie.webm',
  type: 'video/webm',
  bytes,
});

/** Through the pages to "check your answers": document, photo, zone, video and frames. */
async function throughToCheck(
  p: Person,
  images: { photo: Buffer; frames: Buffer[] },
  zone: string,
  document = 'passport',
): Promise<Page> {
  await p.browser.get('/prove-identity/photo-id');
  expectRedirect(
    await p.browser.post('/prove-identity/photo-id', { document }),
    '/prove-identity/photo-id/photo',
  );
  const photoPage = await p.browser.get('/prove-identity/photo-id/photo');
  expect(photoPage.status).toBe(200);
  expectRedirect(
    await postMultipart(p, '/prove-identity/photo-id/photo', photoPage, [photoUpload(images.photo)]),
    '/prove-identity/photo-id/details',
  );
  await p.browser.get('/prove-identity/photo-id/details');
  expectRedirect(
    await p.browser.post('/prove-identity/photo-id/details', { mrz: zone }),
    '/prove-identity/photo-id/video',
  );
  const videoPage = await p.browser.get('/prove-identity/photo-id/video');
  expect(videoPage.status).toBe(200);
  expectRedirect(
    await postMultipart(p, '/prove-identity/photo-id/video', videoPage, [
      videoUpload(),
      ...frameUploads(images.frames),
    ]),
    '/prove-identity/photo-id/check',
  );
  const check = await p.browser.get('/prove-identity/photo-id/check');
  expect(check.status).toBe(200);
  return check;
}

/** Sends the check and reads the outcome page. */
async function send(p: Person, fields: Record<string, string> = {}): Promise<Page> {
  expectRedirect(
    await p.browser.post('/prove-identity/photo-id/check', fields),
    '/prove-identity/photo-id/outcome',
  );
  return p.browser.get('/prove-identity/photo-id/outcome');
}

async function checksOf(accountId: string) {
  return db()
    .selectFrom('photo_id_checks')
    .selectAll()
    .where('account_id', '=', accountId)
    .orderBy('created_at')
    .execute();
}

async function queueOf(accountId: string) {
  return db().selectFrom('id_checks').selectAll().where('account_id', '=', accountId).execute();
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

/** An item in the evidence store, read back through the app's own store (files are sealed on disk). */
async function evidenceItem(id: string) {
  const { createFileEvidenceStore } = await import('../src/adapters/document-check/evidence-store.js');
  return createFileEvidenceStore({
    dir: service.config.evidence.dir,
    keyBase64: service.config.encryptionKey!,
    retentionDays: service.config.evidence.retentionDays,
  }).get(id);
}

async function withPolicy<T>(policy: PhotoIdPolicy, run: () => Promise<T>): Promise<T> {
  usePhotoIdPolicy(faces, policy);
  try {
    return await run();
  } finally {
    usePhotoIdPolicy(faces, PHOTO_ID_POLICY);
  }
}

// ---------------------------------------------------------------------------

describe('the photo ID pages', () => {
  it('are offered on the start page, and say what is wrong (400, error summary, values kept) at each step', async () => {
    const p = await signedIn('photo-validation', RECORDS.validation);
    const start = await p.browser.get('/prove-identity');
    expect(start.body).toContain('href="/prove-identity/photo-id"');
    expect(start.body).not.toContain('not available in this service yet');

    const choose = await p.browser.get('/prove-identity/photo-id');
    expect(choose.status).toBe(200);
    for (const name of ['Passport', 'Driving licence', 'European national identity card'])
      expect(choose.body).toContain(name);
    const none = await p.browser.post('/prove-identity/photo-id', {});
    expect(none.status).toBe(400);
    expect(none.body).toContain('There is a problem');
    expect(none.body).toContain('Select the photo ID you will use');
    expect(none.body).toContain('href="#document"');

    expectRedirect(
      await p.browser.post('/prove-identity/photo-id', { document: 'passport' }),
      '/prove-identity/photo-id/photo',
    );
    const photoPage = await p.browser.get('/prove-identity/photo-id/photo');
    expect(photoPage.body).toContain('enctype="multipart/form-data"');
    expect(photoPage.body).toContain('capture="environment"');
    // Without a file.
    const empty = await postMultipart(p, '/prove-identity/photo-id/photo', photoPage, []);
    expect(empty.status).toBe(400);
    expect(empty.body).toContain('Select a photo of your ID');
    // Not an image, whatever it says it is.
    const pdf = await postMultipart(p, '/prove-identity/photo-id/photo', photoPage, [
      {
        name: 'photo',
        filename: 'id.jpg',
        type: 'image/jpeg',
        bytes: Buffer.from('%PDF-1.7 not a photo at all'),
      },
    ]);
    expect(pdf.status).toBe(400);
    expect(pdf.body).toContain('There is a problem');
    expect(pdf.body).toContain('The selected file must be a JPG, PNG or WebP photo');
    expect(pdf.body).toContain('href="#photo"');
    // Larger than 10MB.
    const oversize = await postMultipart(p, '/prove-identity/photo-id/photo', photoPage, [
      photoUpload(
        Buffer.concat([
          (await scriptedImages({ person: 1, distance: 0 })).photo,
          randomBytes(10 * 1024 * 1024),
        ]),
      ),
    ]);
    expect(oversize.status).toBe(400);
    expect(oversize.body).toContain('The selected file must be smaller than 10MB');
    // Nothing kept of the refused uploads.
    expect((await checksOf(p.person.id))[0]?.document_photo_id).toBeNull();

    const images = await scriptedImages({ person: 2, distance: 0.2 });
    expectRedirect(
      await postMultipart(p, '/prove-identity/photo-id/photo', photoPage, [photoUpload(images.photo)]),
      '/prove-identity/photo-id/details',
    );
    // Kept encrypted, re-encoded: the stored item is a JPEG only the evidence store can open.
    const [row] = await checksOf(p.person.id);
    const stored = await service.app.inject({ method: 'GET', url: '/prove-identity/photo-id/details' });
    expect(stored.statusCode).not.toBe(200);
    const item = await evidenceItem(row!.document_photo_id!);
    expect(item).toMatchObject({ kind: 'document-photo', contentType: 'image/jpeg' });
    expect((await sharp(Buffer.from(item!.bytes)).metadata()).exif).toBeUndefined();

    // A zone with a wrong check digit: the line to check is named, and what was typed kept.
    const zone = zoneFor(RECORDS.validation, 'VAL123456');
    const lines = zone.split('\n');
    const broken = `${lines[0]}\n${lines[1]!.slice(0, 9)}${(Number(lines[1]![9]) + 1) % 10}${lines[1]!.slice(10)}`;
    await p.browser.get('/prove-identity/photo-id/details');
    const wrongDigit = await p.browser.post('/prove-identity/photo-id/details', { mrz: broken });
    expect(wrongDigit.status).toBe(400);
    expect(wrongDigit.body).toContain('There is a problem');
    expect(wrongDigit.body).toContain('Check line 2: it does not match your ID');
    expect(wrongDigit.body).toContain('href="#mrz"');
    expect(wrongDigit.body).toContain(lines[0]!.replace(/</g, '&lt;'));
    // An identity card's zone for a passport.
    const card =
      'I<UTOD231458907<<<<<<<<<<<<<<<\n7408122F1204159UTO<<<<<<<<<<<6\nERIKSSON<<ANNA<MARIA<<<<<<<<<<';
    const wrongKind = await p.browser.post('/prove-identity/photo-id/details', { mrz: card });
    expect(wrongKind.status).toBe(400);
    expect(wrongKind.body).toContain('not from the kind of ID you chose');
    expectRedirect(
      await p.browser.post('/prove-identity/photo-id/details', { mrz: zone }),
      '/prove-identity/photo-id/video',
    );

    const videoPage = await p.browser.get('/prove-identity/photo-id/video');
    const digits = (await checksOf(p.person.id))[0]!.digits;
    expect(digits).toMatch(/^\d{4}$/);
    expect(videoPage.body).toContain(digits.split('').join(' '));
    expect(videoPage.body).toContain('video-selfie.js');
    const notVideo = await postMultipart(p, '/prove-identity/photo-id/video', videoPage, [
      { name: 'video', filename: 'selfie.webm', type: 'video/webm', bytes: images.photo },
    ]);
    expect(notVideo.status).toBe(400);
    expect(notVideo.body).toContain('The selected file must be a video (MP4 or WebM)');
    const noVideo = await postMultipart(
      p,
      '/prove-identity/photo-id/video',
      videoPage,
      frameUploads(images.frames),
    );
    expect(noVideo.status).toBe(400);
    expect(noVideo.body).toContain('Select a video of yourself saying the 4 numbers');
    const badFrame = await postMultipart(p, '/prove-identity/photo-id/video', videoPage, [
      videoUpload(),
      { name: 'frames', filename: 'f.gif', type: 'image/gif', bytes: Buffer.from('GIF89a nonsense') },
    ]);
    expect(badFrame.status).toBe(400);
    expect(badFrame.body).toContain('The selected photo must be a JPG, PNG or WebP photo');

    // Without frames (no JavaScript): accepted, and the page said a person would check it.
    expect(videoPage.body).toContain('a member of our team will check your video instead');
    expectRedirect(
      await postMultipart(p, '/prove-identity/photo-id/video', videoPage, [videoUpload()]),
      '/prove-identity/photo-id/check',
    );
    const check = await p.browser.get('/prove-identity/photo-id/check');
    expect(check.body).toContain('I want a person to check my photo ID instead');
    expect(check.body).toContain('Ending 3456');
    // The document number is never stored in clear.
    const [saved] = await checksOf(p.person.id);
    expect(JSON.stringify(saved?.document)).not.toContain('VAL123456');
    expect(saved?.document).toMatchObject({
      kind: 'passport',
      source: 'typed-by-person',
      lastFour: '3456',
      details: { familyName: 'SMITH', givenNames: ['GEORGE'], birthDate: '1995-03-24' },
    });
    expect(
      service.sealer.open((saved?.document as { documentNumberSealed: string }).documentNumberSealed),
    ).toBe('VAL123456');
    expect(saved?.document_number_hash).toMatch(/\S{20,}/);
    expect(await listProofingAttempts(db(), p.person.id)).toHaveLength(0);
  });

  it('takes a UK driving licence’s printed details, checking the licence number against the name and date of birth', async () => {
    const p = await signedIn('photo-licence', RECORDS.licence);
    await p.browser.get('/prove-identity/photo-id');
    await p.browser.post('/prove-identity/photo-id', { document: 'driving-licence' });
    const photoPage = await p.browser.get('/prove-identity/photo-id/photo');
    const images = await scriptedImages({ person: 3, distance: 0.2 });
    await postMultipart(p, '/prove-identity/photo-id/photo', photoPage, [photoUpload(images.photo)]);
    const form = await p.browser.get('/prove-identity/photo-id/details');
    expect(form.body).toContain('Driving licence number (5)');
    const fields = {
      givenNames: 'Mary',
      familyName: 'Adeyemi',
      day: '1',
      month: '6',
      year: '1993',
      expiryDay: '1',
      expiryMonth: '6',
      expiryYear: '2030',
      issuingState: 'GBR',
    };
    const wrong = await p.browser.post('/prove-identity/photo-id/details', {
      ...fields,
      licenceNumber: 'SMITH906013MA9AB',
    });
    expect(wrong.status).toBe(400);
    expect(wrong.body).toContain('it does not match the name and date of birth you entered');
    expect(wrong.body).toContain('value="Adeyemi"');
    expectRedirect(
      await p.browser.post('/prove-identity/photo-id/details', {
        ...fields,
        licenceNumber: 'ADEYE956013M99AB',
      }),
      '/prove-identity/photo-id/video',
    );
    const [row] = await checksOf(p.person.id);
    expect(row?.document).toMatchObject({
      kind: 'driving-licence',
      identity: { kind: 'driving-licence', issuingState: 'GBR' },
    });
  });
});

describe('the outcomes', () => {
  it('passes a clear match when the policy allows an automatic pass: P9, evidence, email and audit', async () => {
    const p = await signedIn('photo-pass', RECORDS.pass);
    const images = await scriptedImages({ person: 10, distance: 0.2 });
    await throughToCheck(p, images, zoneFor(RECORDS.pass, 'PASS12345'));
    const outcome = await withPolicy(AUTO_PASS, () => send(p));
    expect(outcome.body).toContain('You have proved who you are');
    expect(outcome.body).toContain('Your photo ID and video were checked');

    const account = (await findAccountById(db(), p.person.id))!;
    expect(account.proofing_level).toBe('P9');
    const [check] = await checksOf(p.person.id);
    expect(check).toMatchObject({ status: 'passed', asked_for_review: false });
    expect(check?.decision).toMatchObject({
      outcome: 'pass',
      reasons: [],
      gpg45: { scores: { verification: 3 } },
    });
    expect(check?.face_descriptor).not.toBeNull();
    expect(check?.frame_ids).toHaveLength(5);
    const [attempt] = await listProofingAttempts(db(), p.person.id);
    expect(attempt).toMatchObject({ route: 'photo-id', outcome: 'passed', level_given: 'P9' });
    expect(attempt?.id).toBe(check?.proofing_attempt_id);
    expect(JSON.stringify(attempt?.evidence)).not.toMatch(NHS_NUMBER_IN_CLEAR);
    expect(JSON.stringify(check?.decision)).not.toContain('PASS12345');
    const proved = await events(AUDIT_EVENTS.IDENTITY_PROVED, p.person.id);
    expect(proved[0]?.details).toMatchObject({ route: 'photo-id', level: 'P9', checkId: check?.id });
    expect(await events(AUDIT_EVENTS.PHOTO_ID_SUBMITTED, p.person.id)).toHaveLength(1);
    const [mail] = await readOutbox(db(), { recipient: p.person.email, limit: 1 });
    expect(mail?.subject).toBe('You have proved who you are with NHS login');
    // Evidence kept for the ID checker and the audit, until its retention ends.
    expect(await evidenceItem(check!.video_id!)).toMatchObject({ kind: 'video', contentType: 'video/webm' });
    expect(await evidenceItem(check!.frame_ids[0]!)).toMatchObject({ kind: 'video-frame' });
    // A P9 person is not offered photo ID again.
    expectRedirect(await p.browser.get('/prove-identity/photo-id'), '/prove-identity');
  });

  it('fails a clear mismatch and says what to try next, counting it, raising nothing', async () => {
    const p = await signedIn('photo-fail', RECORDS.fail);
    const images = await scriptedImages({ person: 20, distance: 0.2, videoPerson: 21 });
    await throughToCheck(p, images, zoneFor(RECORDS.fail, 'FAIL12345'));
    const outcome = await withPolicy(AUTO_PASS, () => send(p));
    expect(outcome.body).toContain('We could not confirm who you are');
    expect(outcome.body).toContain(NEXT_STEP_TEXT['retake-video']);
    expect(outcome.body).toContain(NEXT_STEP_TEXT['prove-at-gp-surgery']);
    expect(outcome.body).toContain('href="/prove-identity/photo-id"');
    expect((await findAccountById(db(), p.person.id))?.proofing_level).toBe('P5');
    const [check] = await checksOf(p.person.id);
    expect(check).toMatchObject({ status: 'failed' });
    expect(check?.decision).toMatchObject({
      outcome: 'fail',
      reasons: ['face-does-not-match'],
      nextSteps: ['retake-video', 'prove-at-gp-surgery'],
    });
    const [attempt] = await listProofingAttempts(db(), p.person.id);
    expect(attempt).toMatchObject({ route: 'photo-id', outcome: 'failed', level_given: null });
    expect(await events(AUDIT_EVENTS.PHOTO_ID_FAILED, p.person.id)).toHaveLength(1);
    expect(await queueOf(p.person.id)).toHaveLength(0);
    // A new check can be started.
    const again = await p.browser.get('/prove-identity/photo-id');
    expect(again.body).toContain('Which photo ID will you use?');
  });

  it('refers what the automation cannot decide to the ID checker queue, and emails the person', async () => {
    const p = await signedIn('photo-refer', RECORDS.refer);
    const images = await scriptedImages({ person: 30, distance: 0.2 });
    const checkPage = await throughToCheck(p, images, zoneFor(RECORDS.refer, 'REF123456'));
    expect(checkPage.body).toContain('Sent, with 5 photos from the video');
    // The production policy: details typed by the person and unchecked digits always go to a person.
    const outcome = await send(p);
    expect(outcome.body).toContain('We are checking your photo ID');
    expect(outcome.body).toContain('We will email you');
    expect((await findAccountById(db(), p.person.id))?.proofing_level).toBe('P5');

    const [check] = await checksOf(p.person.id);
    expect(check).toMatchObject({ status: 'referred', asked_for_review: false });
    expect(check?.decision).toMatchObject({
      outcome: 'refer',
      reasons: ['details-typed-by-person', 'spoken-digits-not-checked'],
      referredBecause: 'automation',
    });
    const queue = await queueOf(p.person.id);
    expect(queue).toHaveLength(1);
    expect(queue[0]).toMatchObject({
      kind: 'photo-id',
      signal: null,
      status: 'open',
      photo_id_check_id: check?.id,
    });
    expect(queue[0]?.summary).toMatchObject({
      route: 'photo-id',
      photoIdCheckId: check?.id,
      documentKind: 'passport',
      askedForReview: false,
    });
    expect(queue[0]?.proofing_attempt_id).toBe(check?.proofing_attempt_id);
    const [attempt] = await listProofingAttempts(db(), p.person.id);
    expect(attempt).toMatchObject({ route: 'photo-id', outcome: 'referred', level_given: null });
    const [mail] = await readOutbox(db(), { recipient: p.person.email, limit: 1 });
    expect(mail?.subject).toBe('NHS login: we are checking your photo ID');
    expect(await events(AUDIT_EVENTS.PHOTO_ID_REFERRED, p.person.id)).toHaveLength(1);

    // The account shows it as being checked, and no second check can start meanwhile.
    const start = await p.browser.get('/prove-identity');
    expect(start.body).toContain('Your photo ID is being checked');
    const page = await p.browser.get('/prove-identity/photo-id');
    expect(page.body).toContain('Your photo ID is being checked');
    expect(page.body).not.toContain('Which photo ID will you use?');
    expect((await p.browser.get('/account')).body).toContain(
      'Your photo ID is being checked. We will email you when it has been.',
    );

    // An ID checker rejects it (the back office does this): the account says what to do, and a new check may start.
    await db()
      .updateTable('photo_id_checks')
      .set({ status: 'rejected' })
      .where('id', '=', check!.id)
      .execute();
    const after = await p.browser.get('/prove-identity');
    expect(after.body).toContain('We could not confirm who you are from the photo ID you sent');
    expect((await p.browser.get('/account')).body).toContain(
      'We could not confirm who you are from your photo ID. You can try again.',
    );
    expect(after.body).toContain('ask your GP surgery to check your photo ID with you in person');
    expect((await p.browser.get('/prove-identity/photo-id')).body).toContain('Which photo ID will you use?');
    expect((await p.browser.get('/prove-identity/photo-id/outcome')).body).toContain(
      'A member of our team could not confirm who you are',
    );
  });

  it('sends a check the person asked a person to look at to the queue, even one the automation would fail', async () => {
    const p = await signedIn('photo-review', RECORDS.review);
    const images = await scriptedImages({ person: 40, distance: 0.2, videoPerson: 41 });
    await throughToCheck(p, images, zoneFor(RECORDS.review, 'REV123456'));
    const outcome = await withPolicy(AUTO_PASS, () => send(p, { askForReview: 'yes' }));
    expect(outcome.body).toContain('We are checking your photo ID');
    const [check] = await checksOf(p.person.id);
    expect(check).toMatchObject({ status: 'referred', asked_for_review: true });
    expect(check?.decision).toMatchObject({ outcome: 'fail', referredBecause: 'asked-for-review' });
    const queue = await queueOf(p.person.id);
    expect(queue[0]).toMatchObject({ kind: 'photo-id', photo_id_check_id: check?.id });
    expect(queue[0]?.summary).toMatchObject({ askedForReview: true, referredBecause: 'asked-for-review' });
    expect(await listProofingAttempts(db(), p.person.id)).toMatchObject([{ outcome: 'referred' }]);
  });

  it('decides and counts nothing when faces cannot be compared, keeping the answers', async () => {
    const p = await signedIn('photo-down', RECORDS.down);
    const images = await scriptedImages({ person: 45, distance: 0.2 });
    await throughToCheck(p, images, zoneFor(RECORDS.down, 'DWN123456'));
    faces.down = true;
    let page: Page;
    try {
      page = await p.browser.post('/prove-identity/photo-id/check', {});
    } finally {
      faces.down = false;
    }
    expect(page.status).toBe(503);
    expect(page.body).toContain('Sorry, we could not check your photo ID');
    expect(await checksOf(p.person.id)).toMatchObject([{ status: 'started', submitted_at: null }]);
    expect(await listProofingAttempts(db(), p.person.id)).toHaveLength(0);
    await p.browser.get('/prove-identity/photo-id/check');
    expect((await send(p)).body).toContain('We are checking your photo ID');
  });
});

describe('coming back later', () => {
  it('resumes the saved check where the person left it', async () => {
    const p = await signedIn('photo-resume', RECORDS.resume);
    await p.browser.get('/prove-identity/photo-id');
    await p.browser.post('/prove-identity/photo-id', { document: 'passport' });
    const photoPage = await p.browser.get('/prove-identity/photo-id/photo');
    const images = await scriptedImages({ person: 50, distance: 0.2 });
    await postMultipart(p, '/prove-identity/photo-id/photo', photoPage, [photoUpload(images.photo)]);

    // Another day, another browser.
    const later = new TestBrowser(service.app, freshIp());
    await signInToAccount(db(), later, p.person);
    const start = await later.get('/prove-identity');
    expect(start.body).toContain('Continue your photo ID check');
    const page = await later.get('/prove-identity/photo-id');
    expect(page.body).toContain('Continue your photo ID check');
    expect(page.body).toContain('href="/prove-identity/photo-id/details"');
    // The same check, with its digits.
    const [check] = await checksOf(p.person.id);
    expectRedirect(
      await later.post('/prove-identity/photo-id', { document: 'passport' }),
      '/prove-identity/photo-id/details',
    );
    expect(await checksOf(p.person.id)).toMatchObject([
      { id: check?.id, digits: check?.digits, status: 'started' },
    ]);
  });
});

describe('fraud signals', () => {
  it('stops the same document on a second account, flags it and tells the person what a referral says', async () => {
    const first = await signedIn('photo-doc-first', RECORDS.docFirst);
    await throughToCheck(
      first,
      await scriptedImages({ person: 60, distance: 0.2 }),
      zoneFor(RECORDS.docFirst, 'DUP123456'),
    );
    await send(first);
    expect((await checksOf(first.person.id))[0]?.status).toBe('referred');

    const second = await signedIn('photo-doc-second', RECORDS.docSecond);
    // The same passport number and issuer, the second person's own name on it.
    await throughToCheck(
      second,
      await scriptedImages({ person: 61, distance: 0.2 }),
      zoneFor(RECORDS.docSecond, 'DUP123456'),
    );
    const outcome = await withPolicy(AUTO_PASS, () => send(second));
    expect(outcome.body).toContain('We are checking your photo ID');
    expect(outcome.body).not.toContain('another');
    expect((await findAccountById(db(), second.person.id))?.proofing_level).toBe('P5');
    const [check] = await checksOf(second.person.id);
    expect(check).toMatchObject({ status: 'referred' });
    expect(check?.decision).toMatchObject({ referredBecause: 'document-in-use' });
    const queue = await queueOf(second.person.id);
    expect(queue).toHaveLength(1);
    expect(queue[0]).toMatchObject({
      kind: 'fraud-signal',
      signal: 'document-in-use',
      photo_id_check_id: check?.id,
    });
    expect(queue[0]?.summary).toMatchObject({ otherAccountId: first.person.id });
    const audited = await events(AUDIT_EVENTS.PHOTO_ID_DOCUMENT_IN_USE, second.person.id);
    expect(audited[0]?.details).toMatchObject({ fraudSignal: true, otherAccountId: first.person.id });
    expect(await listProofingAttempts(db(), second.person.id)).toMatchObject([
      { outcome: 'document-in-use', level_given: null },
    ]);
    const [mail] = await readOutbox(db(), { recipient: second.person.email, limit: 1 });
    expect(mail?.subject).toBe('NHS login: we are checking your photo ID');
  });

  it('stops the same face on a second account with another document', async () => {
    const first = await signedIn('photo-face-first', RECORDS.faceFirst);
    await throughToCheck(
      first,
      await scriptedImages({ person: 70, distance: 0.2 }),
      zoneFor(RECORDS.faceFirst, 'FACE11111'),
    );
    await send(first);

    const second = await signedIn('photo-face-second', RECORDS.faceSecond);
    await throughToCheck(
      second,
      await scriptedImages({ person: 70, distance: 0.2 }),
      zoneFor(RECORDS.faceSecond, 'FACE22222'),
    );
    const outcome = await withPolicy(AUTO_PASS, () => send(second));
    expect(outcome.body).toContain('We are checking your photo ID');
    expect((await findAccountById(db(), second.person.id))?.proofing_level).toBe('P5');
    const [check] = await checksOf(second.person.id);
    expect(check?.decision).toMatchObject({ referredBecause: 'face-in-use' });
    const queue = await queueOf(second.person.id);
    expect(queue[0]).toMatchObject({
      kind: 'fraud-signal',
      signal: 'face-in-use',
      photo_id_check_id: check?.id,
    });
    expect(queue[0]?.summary).toMatchObject({ otherAccountId: first.person.id, distance: 0 });
    expect(await events(AUDIT_EVENTS.PHOTO_ID_FACE_IN_USE, second.person.id)).toHaveLength(1);
    // The face is kept sealed, never as numbers in clear.
    const stored = (await checksOf(first.person.id))[0]?.face_descriptor ?? '';
    expect(stored).not.toContain(Buffer.from(descriptor(70).buffer).toString('base64').slice(0, 20));
  });

  it('limits how many checks one account sends, and flags it', async () => {
    const p = await signedIn('photo-limit', RECORDS.limited);
    for (let i = 0; i < 3; i++) {
      await throughToCheck(
        p,
        await scriptedImages({ person: 80, distance: 0.8 }),
        zoneFor(RECORDS.limited, `LIM00000${i}`),
      );
      expect((await withPolicy(AUTO_PASS, () => send(p))).body).toContain('We could not confirm who you are');
    }
    await throughToCheck(
      p,
      await scriptedImages({ person: 80, distance: 0.8 }),
      zoneFor(RECORDS.limited, 'LIM000009'),
    );
    const blocked = await p.browser.post('/prove-identity/photo-id/check', {});
    expect(blocked.status).toBe(429);
    expect(await events(AUDIT_EVENTS.PROOFING_LIMITED, p.person.id)).toHaveLength(1);
    expect(await queueOf(p.person.id)).toMatchObject([{ kind: 'fraud-signal', signal: 'too-many-attempts' }]);
    expect(await events(AUDIT_EVENTS.PHOTO_ID_SUBMITTED, p.person.id)).toHaveLength(3);
  });
});

describe('the real face comparison', () => {
  it('proves a person to P9 with the face-api model in its worker thread, on an identity card photo and frames of the same face', async () => {
    const p = await signedIn('photo-real', RECORDS.realFace);
    const card = await identityCard('a');
    const frames = await Promise.all(
      [1, 1.1, 1.2, 1.25, 1.1].map(async (factor) =>
        sharp(await speaking(await crop('a', 0.8), factor))
          .resize(480)
          .jpeg()
          .toBuffer(),
      ),
    );
    await throughToCheck(p, { photo: card.image, frames }, zoneFor(RECORDS.realFace, 'REAL12345'));
    faces.mode = 'real';
    let outcome: Page;
    try {
      outcome = await withPolicy(AUTO_PASS, () => send(p));
    } finally {
      faces.mode = 'scripted';
    }
    const [check] = await checksOf(p.person.id);
    expect(check?.decision, JSON.stringify(check?.decision)).toMatchObject({ outcome: 'pass' });
    expect(outcome.body).toContain('You have proved who you are');
    expect((await findAccountById(db(), p.person.id))?.proofing_level).toBe('P9');
    const face = (check?.decision as { face: { documentFaces: number; frames: { distance: number }[] } })
      .face;
    expect(face.documentFaces).toBe(2);
    expect(face.frames).toHaveLength(5);
    for (const frame of face.frames) expect(frame.distance).toBeLessThan(FACE_THRESHOLDS.noMatch);
    const match = (
      check?.decision as { checks: { check: string; result: string; value: number }[] }
    ).checks.find((c) => c.check === 'face-match');
    expect(match).toMatchObject({ result: 'pass' });
    expect(match!.value).toBeLessThan(FACE_THRESHOLDS.strongMatch);
  }, 120_000);
});

warnIfSkipped('the photo ID browser test');

describe.skipIf(SKIP_BROWSER)('in a real browser, with a camera', () => {
  // A service of its own that listens on a port (the helpers above use `service`, swapped for these tests).
  let main: TestService;
  beforeAll(async () => {
    main = service;
    service = await startTestService({ listen: true, faces });
  }, 60_000);
  afterAll(async () => {
    const listening = service;
    service = main;
    await listening.close();
  });

  it('records the video selfie with MediaRecorder, sends the frames it drew, and the real model compares them', async () => {
    const folder = await mkdtemp(path.join(tmpdir(), 'photo-id-browser-'));
    const camera = path.join(folder, 'camera.y4m');
    await writeFakeCameraVideo(camera, 'a', 2);
    const card = path.join(folder, 'card.jpg');
    await sharp((await identityCard('a')).image).toFile(card);
    const browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      args: [
        ...CHROMIUM_ARGS,
        '--use-fake-ui-for-media-stream',
        '--use-fake-device-for-media-stream',
        `--use-file-for-fake-video-capture=${camera}`,
      ],
    });
    const violations: string[] = [];
    try {
      const context = await browser.newContext({ locale: 'en-GB' });
      await context.grantPermissions(['camera', 'microphone'], { origin: service.url });
      const page = await context.newPage();
      const person = await p5Person('photo-browser', RECORDS.browser);

      await page.goto(`${service.url}/sign-in`);
      await page.getByLabel('Email address').fill(person.email);
      await page.getByLabel('Password', { exact: true }).fill(TEST_PASSWORD);
      await page.getByRole('button', { name: 'Continue' }).click();
      await page.waitForURL(/\/sign-in\/text-code/);
      await page
        .getByRole('textbox', { name: 'Security code' })
        .fill((await latestCode(db(), person.phone_number))!);
      await page.getByRole('button', { name: 'Continue', exact: true }).click();
      await page.waitForURL(/\/account/);

      await page.goto(`${service.url}/prove-identity/photo-id`);
      violations.push(...(await axe(page, 'photo ID: choose')));
      await page.getByLabel('Passport').check();
      await page.getByRole('button', { name: 'Continue' }).click();
      await page.waitForURL(/\/photo-id\/photo$/);
      violations.push(...(await axe(page, 'photo ID: photo')));
      await page.setInputFiles('input[type=file][name=photo]', card);
      await page.getByRole('button', { name: 'Continue' }).click();
      await page.waitForURL(/\/photo-id\/details$/);
      violations.push(...(await axe(page, 'photo ID: details')));
      await page.getByLabel('The lines from your ID').fill(zoneFor(RECORDS.browser, 'BRW123456'));
      await page.getByRole('button', { name: 'Continue' }).click();
      await page.waitForURL(/\/photo-id\/video$/);
      violations.push(...(await axe(page, 'photo ID: video')));

      // With JavaScript and a camera: the recorder, not the file inputs.
      await expect.poll(() => page.locator('#video-selfie').isVisible()).toBe(true);
      await page.getByRole('button', { name: 'Start recording' }).click();
      await expect
        .poll(() => page.locator('#video-selfie-status').innerText(), { timeout: 20_000 })
        .toContain('Your video has been recorded');
      expect(await page.locator('#video-selfie-upload').isVisible()).toBe(false);
      await page.getByRole('button', { name: 'Continue' }).click();
      await page.waitForURL(/\/photo-id\/check$/);
      violations.push(...(await axe(page, 'photo ID: check your answers')));
      expect(await page.locator('main').innerText()).toMatch(/Sent, with \d+ photos from the video/);

      faces.mode = 'real';
      try {
        await page.getByRole('button', { name: 'Send' }).click();
        await page.waitForURL(/\/photo-id\/outcome$/, { timeout: 60_000 });
      } finally {
        faces.mode = 'scripted';
      }
      violations.push(...(await axe(page, 'photo ID: outcome')));
      // The production policy refers typed details to a person; the automated measurements are kept for them.
      expect(await page.locator('h1').innerText()).toBe('We are checking your photo ID');
      const [check] = await checksOf(person.id);
      expect(check?.status).toBe('referred');
      expect(check?.frame_ids.length).toBeGreaterThanOrEqual(5);
      const video = await evidenceItem(check!.video_id!);
      expect(video?.contentType).toBe('video/webm');
      const face = (
        check?.decision as { face: { documentFaces: number; frames: { faces: number; distance?: number }[] } }
      ).face;
      expect(face.documentFaces).toBe(2);
      const measured = face.frames.filter((frame) => frame.faces > 0);
      expect(measured.length).toBeGreaterThanOrEqual(3);
      for (const frame of measured) expect(frame.distance).toBeLessThan(FACE_THRESHOLDS.noMatch);
      expect(violations).toEqual([]);
    } finally {
      await browser.close();
      await rm(folder, { recursive: true, force: true });
    }
  }, 180_000);
});

describe('step-up from a supplier', () => {
  async function toSupplierSignIn(
    p: Person,
    params: Record<string, string>,
  ): Promise<{ page: Page; state: string }> {
    const { url, state } = authorizeUrl(demo, params);
    const start = await p.browser.follow(url);
    expect(start.url).toBe('/sign-in');
    const posted = await p.browser.post('/sign-in', { email: p.person.email, password: TEST_PASSWORD });
    expect(posted.location).toBe('/sign-in/text-code');
    await p.browser.get('/sign-in/text-code');
    const page = await p.browser.post('/sign-in/text-code', {
      code: (await latestCode(db(), p.person.phone_number))!,
    });
    return { page, state };
  }

  async function stepUpPerson(tag: string, record: TestRecord): Promise<{ p: Person; state: string }> {
    const person = await p5Person(tag, record);
    const ip = freshIp();
    const p = { person, browser: new TestBrowser(service.app, ip), ip };
    const { page, state } = await toSupplierSignIn(p, { vtr: '["P9.Cp.Cd"]', scope: 'openid profile' });
    expectRedirect(page, '/sign-in/prove-identity');
    const offer = await p.browser.get('/sign-in/prove-identity');
    expect(offer.body).toContain('href="/prove-identity/photo-id"');
    return { p, state };
  }

  it('offers photo ID to a P5 person when a supplier needs P9, and ends at the ID checker when it is referred', async () => {
    const { p } = await stepUpPerson('photo-step-refer', RECORDS.stepUpRefer);
    const choose = await p.browser.get('/prove-identity/photo-id');
    expect(choose.body).toContain('Go back to Demo GP surgery app');
    await throughToCheck(
      p,
      await scriptedImages({ person: 90, distance: 0.2 }),
      zoneFor(RECORDS.stepUpRefer, 'STP123456'),
    );
    const outcome = await send(p);
    expect(outcome.body).toContain('We are checking your photo ID');
    expect(outcome.body).toContain('Go back to Demo GP surgery app');
    const [item] = await queueOf(p.person.id);
    expect(item).toMatchObject({ kind: 'photo-id' });
    const audited = await events(AUDIT_EVENTS.PHOTO_ID_REFERRED, p.person.id);
    expect(audited[0]).toMatchObject({ client_id: 'demo-supplier' });
  });

  it('returns to the supplier with vot P9.Cp.Cd after an automatic pass', async () => {
    const { p, state } = await stepUpPerson('photo-step-pass', RECORDS.stepUpPass);
    await throughToCheck(
      p,
      await scriptedImages({ person: 95, distance: 0.2 }),
      zoneFor(RECORDS.stepUpPass, 'STQ123456'),
    );
    const outcome = await withPolicy(AUTO_PASS, () => send(p));
    expect(outcome.body).toContain('Continue to Demo GP surgery app');
    const finished = await p.browser.post('/prove-identity/done', {});
    const back = await p.browser.follow(finished.location!);
    const callback = new URL(back.url);
    expect(callback.origin + callback.pathname).toBe(demo.redirectUri);
    expect(callback.searchParams.get('state')).toBe(state);
    const tokens = await exchangeCode(service.app, demo, callback.searchParams.get('code')!);
    expect(decodeJwt(tokens.body.id_token as string).payload).toMatchObject({
      vot: 'P9.Cp.Cd',
      identity_proofing_level: 'P9',
      nhs_number: RECORDS.stepUpPass.nhsNumber,
    });
  });

  it('sends a P0 person who chooses photo ID to match their details first', async () => {
    const person = await newPerson(db(), 'photo-step-p0');
    const ip = freshIp();
    const p = { person, browser: new TestBrowser(service.app, ip), ip };
    const { page } = await toSupplierSignIn(p, { vtr: '["P9.Cp.Cd"]', scope: 'openid' });
    expectRedirect(page, '/sign-in/prove-identity');
    await p.browser.get('/sign-in/prove-identity');
    // Not offered until photo ID is chosen.
    expectRedirect(await p.browser.get('/prove-identity/details'), '/sign-in/prove-identity');
    const first = await p.browser.get('/prove-identity/photo-id');
    expect(first.body).toContain('First, match your details to your NHS record');
    expect(first.body).toContain('href="/prove-identity/details"');
    const details = await p.browser.get('/prove-identity/details');
    expect(details.status).toBe(200);
    expect(details.body).toContain('Enter your details');
    expectRedirect(
      await p.browser.post('/prove-identity/details', {
        givenName: 'Hannah',
        familyName: 'Smith',
        day: '4',
        month: '5',
        year: '1957',
        postcode: 'TR1 9FW',
      }),
      '/prove-identity/done',
    );
    const done = await p.browser.get('/prove-identity/done');
    expect(done.body).toContain('needs you to prove who you are in another way as well');
    const next = await p.browser.post('/prove-identity/done', {});
    // Back to the routes, now as a P5 person: photo ID is theirs to use.
    const offer = await p.browser.follow(next.location!);
    expect(offer.url).toBe('/sign-in/prove-identity');
    expect(offer.body).toContain('href="/prove-identity/photo-id"');
    const choose = await p.browser.get('/prove-identity/photo-id');
    expect(choose.body).toContain('Which photo ID will you use?');
  });
});

// Every zone these tests type is a real one.
describe('the test zones', () => {
  it('have correct check digits', () => {
    const zone = zoneFor(RECORDS.pass, 'PASS12345');
    const parsed = parseMrz(zone, { today: '2026-01-01' });
    expect(parsed).toMatchObject({
      ok: true,
      value: {
        familyName: 'GREEN',
        givenNames: ['ISLA'],
        birthDate: '2004-09-03',
        documentNumber: 'PASS12345',
      },
    });
  });
});
