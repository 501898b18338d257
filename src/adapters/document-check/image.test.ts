import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

import sharp, { type Sharp } from 'sharp';
import { describe, expect, it } from 'vitest';

import { cleanUpload, DEFAULT_UPLOAD_LIMITS, describeUploadRejection, type UploadLimits } from './image.js';

const require = createRequire(import.meta.url);
// A real camera photo (Sony ILCE-7M2) with EXIF, including GPS data, shipped in the face-api package.
const CAMERA_PHOTO = path.join(
  path.dirname(require.resolve('@vladmandic/face-api/package.json')),
  'demo',
  'sample1.jpg',
);

/** A test picture: left half red, right half blue. */
function halves(width: number, height: number): Sharp {
  const half = Math.floor(width / 2);
  return sharp({ create: { width, height, channels: 3, background: '#ff0000' } }).composite([
    {
      input: { create: { width: width - half, height, channels: 3, background: '#0000ff' } },
      left: half,
      top: 0,
    },
  ]);
}

/** Red, green and blue of the pixel at (x, y). */
async function pixel(image: Buffer, x: number, y: number): Promise<[number, number, number]> {
  const { data, info } = await sharp(image).raw().toBuffer({ resolveWithObject: true });
  const at = (y * info.width + x) * info.channels;
  return [data[at]!, data[at + 1]!, data[at + 2]!];
}

const isJpeg = (bytes: Buffer) => bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
const limits = (changes: Partial<UploadLimits>): UploadLimits => ({ ...DEFAULT_UPLOAD_LIMITS, ...changes });

async function clean(bytes: Uint8Array, changes: Partial<UploadLimits> = {}) {
  const result = await cleanUpload(bytes, limits(changes));
  if (!result.ok) throw new Error(`rejected: ${JSON.stringify(result.error)}`);
  return result.value;
}

describe('cleanUpload: accepted images', () => {
  it.each([
    ['jpeg', (s: Sharp) => s.jpeg()],
    ['png', (s: Sharp) => s.png()],
    ['webp', (s: Sharp) => s.webp()],
    ['avif', (s: Sharp) => s.avif({ effort: 0 })],
  ] as const)('takes %s and stores a JPEG', async (format, encode) => {
    const upload = await encode(halves(640, 480)).toBuffer();
    const image = await clean(upload);
    expect(image.uploadedFormat).toBe(format);
    expect(image.uploadedBytes).toBe(upload.length);
    expect(isJpeg(image.jpeg)).toBe(true);
    expect([image.width, image.height]).toEqual([640, 480]);
    const [r, , b] = await pixel(image.jpeg, 10, 10);
    expect(r).toBeGreaterThan(200);
    expect(b).toBeLessThan(60);
  });

  it('strips every piece of metadata from a real camera photo, GPS included', async () => {
    const upload = readFileSync(CAMERA_PHOTO);
    const before = await sharp(upload).metadata();
    expect(before.exif).toBeDefined();
    expect(before.exif!.includes(Buffer.from('SONY'))).toBe(true);
    // The EXIF has a GPS directory (tag 0x8825, big-endian in this file).
    expect(before.exif!.includes(Buffer.from([0x88, 0x25]))).toBe(true);

    const image = await clean(upload);
    const after = await sharp(image.jpeg).metadata();
    expect(after.exif).toBeUndefined();
    expect(after.xmp).toBeUndefined();
    expect(after.iptc).toBeUndefined();
    expect(after.icc).toBeUndefined();
    expect(after.orientation).toBeUndefined();
    expect(image.jpeg.includes(Buffer.from('Exif'))).toBe(false);
    expect(image.jpeg.includes(Buffer.from('SONY'))).toBe(false);
    expect(image.jpeg.includes(Buffer.from('paint.net'))).toBe(false);
    // 1920 x 1280, scaled to fit 2000: unchanged.
    expect([image.width, image.height]).toEqual([1920, 1280]);
  });

  it('strips EXIF, GPS and comments written into a generated photo', async () => {
    const upload = await halves(800, 600)
      .withExif({
        IFD0: { Make: 'PhoneMaker', Model: 'Secret Phone', Copyright: 'Someone' },
        IFD3: {
          GPSLatitudeRef: 'N',
          GPSLatitude: '51/1 30/1 0/1',
          GPSLongitudeRef: 'W',
          GPSLongitude: '0/1 7/1 0/1',
        },
      })
      .jpeg()
      .toBuffer();
    const before = await sharp(upload).metadata();
    expect(before.exif!.includes(Buffer.from('Secret Phone'))).toBe(true);
    const image = await clean(upload);
    expect((await sharp(image.jpeg).metadata()).exif).toBeUndefined();
    expect(image.jpeg.includes(Buffer.from('Secret Phone'))).toBe(false);
    expect(image.jpeg.includes(Buffer.from('PhoneMaker'))).toBe(false);
  });

  it('turns the picture upright by its EXIF orientation before the orientation is dropped', async () => {
    // Stored 800 x 400, red on the left; orientation 6 means "rotate 90 degrees clockwise to view".
    const upload = await halves(800, 400).withMetadata({ orientation: 6 }).jpeg().toBuffer();
    const image = await clean(upload);
    expect([image.width, image.height]).toEqual([400, 800]);
    const [topRed] = await pixel(image.jpeg, 200, 100);
    const [bottomRed, , bottomBlue] = await pixel(image.jpeg, 200, 700);
    expect(topRed).toBeGreaterThan(200);
    expect(bottomRed).toBeLessThan(60);
    expect(bottomBlue).toBeGreaterThan(200);
    expect((await sharp(image.jpeg).metadata()).orientation).toBeUndefined();
  });

  it('scales a large photo down to 2000 pixels on the long edge, and never up', async () => {
    const large = await clean(await halves(3000, 1500).jpeg({ quality: 50 }).toBuffer());
    expect([large.width, large.height]).toEqual([2000, 1000]);
    const small = await clean(await halves(500, 400).png().toBuffer());
    expect([small.width, small.height]).toEqual([500, 400]);
  });

  it('puts a transparent PNG on white', async () => {
    const transparent = await sharp({
      create: { width: 400, height: 400, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } },
    })
      .png()
      .toBuffer();
    const image = await clean(transparent);
    expect(await pixel(image.jpeg, 200, 200)).toEqual([255, 255, 255]);
  });
});

describe('cleanUpload: rejections', () => {
  it('refuses an empty upload and one over the byte limit without decoding it', async () => {
    expect(await cleanUpload(new Uint8Array())).toEqual({ ok: false, error: { code: 'empty' } });
    const overTen = new Uint8Array(DEFAULT_UPLOAD_LIMITS.maxBytes + 1);
    expect(await cleanUpload(overTen)).toEqual({
      ok: false,
      error: { code: 'too-large', maxBytes: 10 * 1024 * 1024 },
    });
    const photo = await halves(640, 480).jpeg().toBuffer();
    expect(await cleanUpload(photo, limits({ maxBytes: photo.length - 1 }))).toMatchObject({
      ok: false,
      error: { code: 'too-large' },
    });
  });

  it.each([
    ['text', Buffer.from('this is not an image, whatever its name says')],
    ['a PDF', Buffer.from('%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n')],
    ['a ZIP', Buffer.from([0x50, 0x4b, 0x03, 0x04, 0, 0, 0, 0, 0, 0, 0, 0])],
    ['a JPEG header and nothing else', Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10])],
  ])('refuses %s as not an image', async (_, bytes) => {
    expect(await cleanUpload(bytes)).toEqual({ ok: false, error: { code: 'not-an-image' } });
  });

  it('refuses images of other kinds: GIF, TIFF and SVG', async () => {
    const gif = await halves(400, 400).gif().toBuffer();
    expect(await cleanUpload(gif)).toEqual({ ok: false, error: { code: 'unsupported-type', format: 'gif' } });
    const tiff = await halves(400, 400).tiff().toBuffer();
    expect(await cleanUpload(tiff)).toEqual({
      ok: false,
      error: { code: 'unsupported-type', format: 'tiff' },
    });
    const svg = Buffer.from(
      '<svg xmlns="http://www.w3.org/2000/svg" width="400" height="400"><rect width="400" height="400"/></svg>',
    );
    expect(await cleanUpload(svg)).toEqual({ ok: false, error: { code: 'unsupported-type', format: 'svg' } });
  });

  it('refuses an image with too many pixels from its header, before decoding (a decompression bomb)', async () => {
    // 8000 x 8000 of one colour: a few kilobytes of PNG, 192 MB once decoded.
    const bomb = await sharp({ create: { width: 8000, height: 8000, channels: 3, background: '#777777' } })
      .png({ compressionLevel: 9 })
      .toBuffer();
    expect(bomb.length).toBeLessThan(DEFAULT_UPLOAD_LIMITS.maxBytes);
    expect(await cleanUpload(bomb)).toEqual({
      ok: false,
      error: { code: 'too-many-pixels', maxPixels: 40_000_000 },
    });
  });

  it('refuses an image too small to read', async () => {
    const tiny = await halves(640, 200).jpeg().toBuffer();
    expect(await cleanUpload(tiny)).toEqual({ ok: false, error: { code: 'too-small', minShortEdge: 300 } });
  });

  it('refuses a truncated JPEG and a truncated PNG as damaged', async () => {
    const noisy = sharp({
      create: {
        width: 800,
        height: 600,
        channels: 3,
        background: '#808080',
        noise: { type: 'gaussian', mean: 128, sigma: 40 },
      },
    });
    const jpeg = await noisy.clone().jpeg().toBuffer();
    const png = await noisy.clone().png().toBuffer();
    expect(await cleanUpload(jpeg.subarray(0, Math.floor(jpeg.length / 2)))).toEqual({
      ok: false,
      error: { code: 'damaged' },
    });
    expect(await cleanUpload(png.subarray(0, Math.floor(png.length / 2)))).toEqual({
      ok: false,
      error: { code: 'damaged' },
    });
  });
});

describe('describeUploadRejection', () => {
  it('gives the person words for each rejection', () => {
    expect(describeUploadRejection({ code: 'too-large', maxBytes: 10 * 1024 * 1024 })).toBe(
      'The selected file must be smaller than 10MB',
    );
    expect(describeUploadRejection({ code: 'heic' })).toMatch(/HEIC/);
    expect(describeUploadRejection({ code: 'unsupported-type', format: 'gif' })).toMatch(/JPG, PNG or WebP/);
  });
});
