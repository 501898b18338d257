// Face comparison on the real model, offline, with the images that ship in
// @vladmandic/face-api (demo/sample1-6.jpg: six group photos, 22 faces).
//
// The package ships no two photos of the same person (the model itself puts
// no two faces from different photos closer than 0.445, and the pair at
// 0.46 is two women in one photo), so "the same face" here is one face from a
// sample photo presented twice: once as the portrait on a made-up identity
// card, and again as selfie frames cropped differently, tilted, relit and
// rescaled. Different faces are other women from the samples.
//
// One model load per file (about 1-2 s), then about 0.3 s per image on one
// core: the whole file runs in well under 20 s.
import { createRequire } from 'node:module';
import path from 'node:path';

import sharp, { type Sharp } from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  decidePhotoIdCheck,
  FACE_THRESHOLDS,
  LIVENESS_THRESHOLDS,
  PHOTO_ID_POLICY,
} from '../../domain/photo-id.js';
import { createFaceApiMatcher } from './face-api.js';
import { measureFaces } from './liveness.js';
import type { FaceDescription, FaceMatcher } from './port.js';

const require = createRequire(import.meta.url);
const DEMO = path.join(path.dirname(require.resolve('@vladmandic/face-api/package.json')), 'demo');

/** Faces in the demo photos, as [sample, x, y, width] of the face box when the photo is 1000 px wide. */
const FACES = {
  // sample3.jpg, the woman on the right: frontal, clear.
  a: [3, 789, 151, 88],
  // sample6.jpg, the woman on the right.
  b: [6, 775, 137, 110],
  // sample5.jpg, the woman at the top of the stairs.
  c: [5, 410, 57, 81],
} as const;

type Face = keyof typeof FACES;

/** A square around a face, `margin` face widths on each side, moved by (dx, dy). */
async function crop(face: Face, margin: number, dx = 0, dy = 0): Promise<Buffer> {
  const [sample, x, y, width] = FACES[face];
  const file = path.join(DEMO, `sample${sample}.jpg`);
  const { width: imageWidth } = await sharp(file).metadata();
  const scale = imageWidth / 1000;
  const border = width * margin;
  const left = Math.max(0, Math.round((x - border + dx) * scale));
  const top = Math.max(0, Math.round((y - border + dy) * scale));
  const size = Math.round((width + 2 * border) * scale);
  return sharp(file).extract({ left, top, width: size, height: size }).toBuffer();
}

const jpeg = (image: Sharp) => image.jpeg({ quality: 85 }).toBuffer();

/**
 * A made-up identity card photographed on a dark table: the portrait on the
 * left, grey bars for the printed details, and a smaller grey ghost portrait
 * on the right, as on UK passports and driving licences (the detector finds
 * both faces).
 */
async function identityCard(
  face: Face,
): Promise<{ image: Buffer; portrait: { x: number; y: number; w: number; h: number } }> {
  const portrait = await sharp(await crop(face, 0.35))
    .resize(240, 300, { fit: 'cover' })
    .toBuffer();
  const ghost = await sharp(portrait).resize(140, 175).greyscale().linear(0.8, 40).toBuffer();
  const bars = await Promise.all(
    [0, 1, 2, 3, 4].map((i) =>
      sharp({ create: { width: 360 - i * 40, height: 18, channels: 3, background: '#555a66' } })
        .png()
        .toBuffer(),
    ),
  );
  const card = await sharp({ create: { width: 856, height: 540, channels: 3, background: '#e6eef2' } })
    .composite([
      { input: portrait, left: 40, top: 130 },
      ...bars.map((input, i) => ({ input, left: 320, top: 150 + i * 50 })),
      { input: ghost, left: 686, top: 345 },
    ])
    .png()
    .toBuffer();
  const image = await jpeg(
    sharp({ create: { width: 1056, height: 740, channels: 3, background: '#2b2420' } }).composite([
      { input: card, left: 100, top: 100 },
    ]),
  );
  return { image, portrait: { x: 140, y: 230, w: 240, h: 300 } };
}

/** The lower part of the face stretched down, roughly as a jaw drops to speak. */
async function speaking(image: Buffer, factor: number): Promise<Buffer> {
  const { width, height } = await sharp(image).metadata();
  const cut = Math.round(height * 0.58);
  const lower = Math.round((height - cut) * factor);
  const top = await sharp(image).extract({ left: 0, top: 0, width, height: cut }).toBuffer();
  const bottom = await sharp(image)
    .extract({ left: 0, top: cut, width, height: height - cut })
    .resize(width, lower, { fit: 'fill' })
    .toBuffer();
  return jpeg(
    sharp({ create: { width, height: cut + lower, channels: 3, background: '#808080' } }).composite([
      { input: top, left: 0, top: 0 },
      { input: bottom, left: 0, top: cut },
    ]),
  );
}

let matcher: FaceMatcher;
const realFetch = globalThis.fetch;
const fetched: string[] = [];

async function describeImage(image: Uint8Array): Promise<FaceDescription> {
  const result = await matcher.describe(image);
  if (!result.ok) throw new Error(`describe failed: ${result.error.code}: ${result.error.message}`);
  return result.value;
}

beforeAll(() => {
  // Nothing may be downloaded: any attempt to fetch fails the tests below.
  globalThis.fetch = (input: string | URL | Request) => {
    fetched.push(String(input instanceof Request ? input.url : input));
    return Promise.reject(new Error('network access is not allowed'));
  };
  matcher = createFaceApiMatcher();
});

afterAll(() => {
  globalThis.fetch = realFetch;
});

describe('face-api matcher (WASM, models from node_modules, nothing downloaded)', () => {
  it('says "unavailable" (not "no face") when the models cannot be loaded, and recovers', async () => {
    // Runs first: the runtime loads once per process, and a failed load is not kept.
    const broken = createFaceApiMatcher({ modelDir: path.join(DEMO, 'no-such-folder') });
    const result = await broken.describe(await jpeg(sharp(await crop('a', 0.8))));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.code).toBe('unavailable');
  });

  let document: FaceDescription;
  let sameFace: FaceDescription;

  it('finds the portrait on a photo of an identity card, choosing it over the small ghost image', async () => {
    const card = await identityCard('a');
    document = await describeImage(card.image);
    expect(document.faces).toBe(2);
    expect(document.imageWidth).toBe(1056);
    const box = document.main!.box;
    const centre = { x: box.x + box.width / 2, y: box.y + box.height / 2 };
    expect(centre.x).toBeGreaterThan(card.portrait.x);
    expect(centre.x).toBeLessThan(card.portrait.x + card.portrait.w);
    expect(centre.y).toBeGreaterThan(card.portrait.y);
    expect(centre.y).toBeLessThan(card.portrait.y + card.portrait.h);
    expect(document.main!.descriptor).toHaveLength(128);
    expect(document.main!.landmarks).toHaveLength(68);
    expect(fetched).toEqual([]);
  });

  it('measures the same face, cropped differently, tilted, relit and rescaled, as a strong match', async () => {
    const selfie = sharp(await crop('a', 0.8, 6, -4))
      .rotate(5, { background: '#808080' })
      .modulate({ brightness: 0.85, saturation: 0.7 })
      .resize(480);
    sameFace = await describeImage(await jpeg(selfie));
    expect(sameFace.faces).toBe(1);
    const distance = matcher.compare(document.main!.descriptor, sameFace.main!.descriptor);
    expect(distance).toBeLessThan(FACE_THRESHOLDS.strongMatch);
  });

  it('measures different faces as no match', async () => {
    for (const face of ['b', 'c'] as const) {
      const other = await describeImage(await jpeg(sharp(await crop(face, 0.8)).resize(480)));
      expect(other.faces).toBe(1);
      const distance = matcher.compare(document.main!.descriptor, other.main!.descriptor);
      expect(distance, `face ${face}`).toBeGreaterThanOrEqual(FACE_THRESHOLDS.noMatch);
    }
  });

  it('finds no face in a blank image', async () => {
    const blank = await describeImage(
      await jpeg(sharp({ create: { width: 640, height: 480, channels: 3, background: '#c8c8c8' } })),
    );
    expect(blank).toEqual({ faces: 0, imageWidth: 640, imageHeight: 480 });
  });

  it('reports bytes that are not an image as unreadable', async () => {
    const result = await matcher.describe(new TextEncoder().encode('not an image at all'));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.code).toBe('unreadable-image');
  });

  it('reads still frames of one face as the same person with no movement, and a speaking frame as movement', async () => {
    const shifted = await describeImage(await jpeg(sharp(await crop('a', 0.8, -8, 6)).resize(420)));
    const closer = await describeImage(await jpeg(sharp(await crop('a', 0.7, 4, 4)).resize(520)));
    const still = measureFaces(document, [sameFace, shifted, closer]);
    expect(still.frames.map((frame) => frame.faces)).toEqual([1, 1, 1]);
    expect(still.movement).toBeLessThan(LIVENESS_THRESHOLDS.minMovement);
    expect(still.spread).toBeLessThan(FACE_THRESHOLDS.sameVideoPerson);
    for (const frame of still.frames) expect(frame.distance).toBeLessThan(FACE_THRESHOLDS.strongMatch);

    const talking = await describeImage(await speaking(await crop('a', 0.8), 1.25));
    const live = measureFaces(document, [sameFace, talking, shifted]);
    expect(live.movement).toBeGreaterThanOrEqual(LIVENESS_THRESHOLDS.minMovement);

    // What the domain makes of it, once the details were read by a machine
    // and the spoken digits confirmed (no adapter here does either: see
    // PHOTO_ID_POLICY.autoPass).
    const evidence = {
      today: '2026-01-10',
      document: {
        identity: {
          kind: 'passport' as const,
          issuingState: 'GBR',
          mrz: { format: 'TD3' as const, documentCode: 'P' },
        },
        details: {
          familyName: 'ASHWORTH',
          givenNames: ['PRIYA'],
          birthDate: '1984-03-17',
          expiryDate: '2030-01-01',
          documentNumber: '123456789',
          issuingState: 'GBR',
        },
        source: 'machine-read' as const,
        integrity: { valid: true as const },
      },
      record: {
        nhsNumber: '9990000018',
        familyName: 'Ashworth',
        givenNames: ['Priya'],
        birthDate: '1984-03-17',
        deceased: false,
      },
      spokenDigits: 'confirmed' as const,
    };
    expect(decidePhotoIdCheck({ ...evidence, face: live }).outcome).toBe('pass');
    const stillDecision = decidePhotoIdCheck({ ...evidence, face: still });
    expect(stillDecision).toMatchObject({ outcome: 'refer', reasons: ['no-movement'] });
    expect(PHOTO_ID_POLICY.autoPass.withDetailsTypedByPerson).toBe(false);
  });

  it('counts a frame without a face, and measures a different person in the video as no match', async () => {
    const blank = await describeImage(
      await jpeg(sharp({ create: { width: 640, height: 480, channels: 3, background: '#303030' } })),
    );
    const other = await describeImage(await jpeg(sharp(await crop('b', 0.8)).resize(480)));
    const evidence = measureFaces(document, [sameFace, blank, other]);
    expect(evidence.frames.map((frame) => frame.faces)).toEqual([1, 0, 1]);
    expect(evidence.frames[1]).toEqual({ faces: 0 });
    expect(evidence.spread).toBeGreaterThanOrEqual(FACE_THRESHOLDS.sameVideoPerson);
    expect(fetched).toEqual([]);
  });
});
