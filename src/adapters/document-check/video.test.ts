import sharp from 'sharp';
import { describe, expect, it } from 'vitest';

import { checkVideoUpload, DEFAULT_VIDEO_LIMITS, sniffVideo } from './video.js';

// The first bytes of what MediaRecorder writes: an EBML header with DocType
// "webm" (Chrome), and an ISO base media ftyp box (Safari; phones' cameras).
const WEBM = Uint8Array.from([
  0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x86, 0x81, 0x01, 0x42, 0xf7, 0x81, 0x01, 0x42, 0xf2, 0x81, 0x04, 0x42,
  0xf3, 0x81, 0x08, 0x42, 0x82, 0x84, 0x77, 0x65, 0x62, 0x6d, 0x42, 0x87, 0x81, 0x04, 0x42, 0x85, 0x81, 0x02,
  0x18, 0x53,
]);
const box = (type: string, brand: string) =>
  Uint8Array.from([
    0,
    0,
    0,
    0x18,
    ...Buffer.from(type),
    ...Buffer.from(brand),
    0,
    0,
    0,
    0,
    ...Buffer.from('isommp41'),
  ]);
const MP4 = box('ftyp', 'isom');
const QUICKTIME = box('ftyp', 'qt  ');
const MATROSKA = Uint8Array.from([...WEBM.subarray(0, 24), ...Buffer.from('matroska'), 0x42, 0x87]);

describe('sniffVideo', () => {
  it('knows WebM and MP4 (QuickTime too) from their first bytes', () => {
    expect(sniffVideo(WEBM)).toBe('webm');
    expect(sniffVideo(MP4)).toBe('mp4');
    expect(sniffVideo(QUICKTIME)).toBe('mp4');
  });

  it('refuses other Matroska files and still images in an ISO box (HEIC, AVIF)', async () => {
    expect(sniffVideo(MATROSKA)).toBeUndefined();
    expect(sniffVideo(box('ftyp', 'heic'))).toBeUndefined();
    const avif = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#123456' } })
      .avif({ effort: 0 })
      .toBuffer();
    expect(sniffVideo(avif)).toBeUndefined();
    expect(
      sniffVideo(
        await sharp({ create: { width: 64, height: 64, channels: 3, background: '#fff' } })
          .jpeg()
          .toBuffer(),
      ),
    ).toBeUndefined();
  });
});

describe('checkVideoUpload', () => {
  it('accepts a video within the limit', () => {
    expect(checkVideoUpload(WEBM)).toEqual({ ok: true, value: { container: 'webm', bytes: WEBM } });
  });

  it('refuses empty, oversized and non-video uploads', () => {
    expect(checkVideoUpload(new Uint8Array())).toEqual({ ok: false, error: { code: 'empty' } });
    const huge = new Uint8Array(DEFAULT_VIDEO_LIMITS.maxBytes + 1);
    huge.set(WEBM);
    expect(checkVideoUpload(huge)).toEqual({
      ok: false,
      error: { code: 'too-large', maxBytes: 30 * 1024 * 1024 },
    });
    expect(checkVideoUpload(Buffer.from('<script>alert(1)</script>'))).toEqual({
      ok: false,
      error: { code: 'not-a-video' },
    });
  });
});
