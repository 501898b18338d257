// The worker-thread face matcher on the real model and the face-api demo
// photos: the same answers as face-api.ts in-process, the event loop free
// while it measures, and a worker that dies or is closed is replaced.
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';

import { FACE_THRESHOLDS } from '../../domain/photo-id.js';
import type { FaceDescription } from './port.js';
import { createWorkerFaceMatcher } from './worker-matcher.js';
import { crop, identityCard, jpeg } from '../../../test/support/face-images.js';

const matcher = createWorkerFaceMatcher();

afterAll(async () => {
  await matcher.close();
});

async function describeImage(image: Uint8Array): Promise<FaceDescription> {
  const result = await matcher.describe(image);
  if (!result.ok) throw new Error(`describe failed: ${result.error.code}: ${result.error.message}`);
  return result.value;
}

describe('the face matcher in a worker thread', () => {
  let document: FaceDescription;

  it('finds the portrait on an identity card, with a 128-number descriptor that survived the thread boundary', async () => {
    const card = await identityCard('a');
    document = await describeImage(card.image);
    expect(document.faces).toBe(2);
    expect(document.main?.descriptor).toBeInstanceOf(Float32Array);
    expect(document.main?.descriptor).toHaveLength(128);
    expect(document.main?.landmarks).toHaveLength(68);
  }, 60_000);

  it('measures the same face as a strong match and different faces as no match', async () => {
    const same = await describeImage(await jpeg(sharp(await crop('a', 0.8, 6, -4)).resize(480)));
    expect(matcher.compare(document.main!.descriptor, same.main!.descriptor)).toBeLessThan(
      FACE_THRESHOLDS.strongMatch,
    );
    const other = await describeImage(await jpeg(sharp(await crop('b', 0.8)).resize(480)));
    expect(matcher.compare(document.main!.descriptor, other.main!.descriptor)).toBeGreaterThanOrEqual(
      FACE_THRESHOLDS.noMatch,
    );
  }, 30_000);

  it('keeps the event loop free while it measures', async () => {
    const images = await Promise.all(
      [0, 4, 8].map(async (dx) => jpeg(sharp(await crop('a', 0.8, dx)).resize(480))),
    );
    let ticks = 0;
    let longest = 0;
    let last = performance.now();
    const timer = setInterval(() => {
      const now = performance.now();
      longest = Math.max(longest, now - last);
      last = now;
      ticks += 1;
    }, 10);
    try {
      for (const image of images) await describeImage(image);
    } finally {
      clearInterval(timer);
    }
    // Three images take about a second; on the main thread no tick would come in between.
    expect(ticks).toBeGreaterThan(10);
    expect(longest).toBeLessThan(200);
  }, 30_000);

  it('reports bytes that are not an image as unreadable, not as unavailable', async () => {
    const result = await matcher.describe(new TextEncoder().encode('not an image'));
    expect(result).toMatchObject({ ok: false, error: { code: 'unreadable-image' } });
  });

  it('answers "unavailable" for what a closed worker had in hand, and starts a new one on the next call', async () => {
    const image = await jpeg(sharp(await crop('c', 0.8)).resize(480));
    const inFlight = matcher.describe(image);
    await matcher.close();
    expect(await inFlight).toMatchObject({ ok: false, error: { code: 'unavailable' } });
    const again = await describeImage(image);
    expect(again.faces).toBe(1);
  }, 60_000);

  it('gives up on a call that takes too long, as "unavailable"', async () => {
    const impatient = createWorkerFaceMatcher({ timeoutMs: 1 });
    try {
      const result = await impatient.describe(await jpeg(sharp(await crop('a', 0.8)).resize(480)));
      expect(result).toMatchObject({ ok: false, error: { code: 'unavailable' } });
    } finally {
      await impatient.close();
    }
  });
});
