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
import path from 'node:path';

import sharp from 'sharp';
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
import { crop, DEMO, identityCard, jpeg, speaking } from '../../../test/support/face-images.js';

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
