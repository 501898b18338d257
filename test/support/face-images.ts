// Face images for tests, made from the photos that ship in
// @vladmandic/face-api (demo/sample1-6.jpg: six group photos, 22 faces).
//
// The package ships no two photos of the same person, so "the same face" is
// one face from a sample photo presented twice: once as the portrait on a
// made-up identity card, and again as selfie frames cropped differently,
// tilted, relit and rescaled. Different faces are other people in the samples.
// Also a Y4M video of a face "speaking" for Chromium's fake camera
// (--use-file-for-fake-video-capture), so a browser test can record a video
// selfie with MediaRecorder without a camera or a download.
import { writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import sharp, { type Sharp } from 'sharp';

const require = createRequire(import.meta.url);
export const DEMO = path.join(path.dirname(require.resolve('@vladmandic/face-api/package.json')), 'demo');

/** Faces in the demo photos, as [sample, x, y, width] of the face box when the photo is 1000 px wide. */
export const FACES = {
  // sample3.jpg, the woman on the right: frontal, clear.
  a: [3, 789, 151, 88],
  // sample6.jpg, the woman on the right.
  b: [6, 775, 137, 110],
  // sample5.jpg, the woman at the top of the stairs.
  c: [5, 410, 57, 81],
} as const;

export type Face = keyof typeof FACES;

/** A square around a face, `margin` face widths on each side, moved by (dx, dy). */
export async function crop(face: Face, margin: number, dx = 0, dy = 0): Promise<Buffer> {
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

export const jpeg = (image: Sharp) => image.jpeg({ quality: 85 }).toBuffer();

/**
 * A made-up identity card photographed on a dark table: the portrait on the
 * left, grey bars for the printed details, and a smaller grey ghost portrait
 * on the right, as on UK passports and driving licences (the detector finds
 * both faces).
 */
export async function identityCard(
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
export async function speaking(image: Buffer, factor: number): Promise<Buffer> {
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

/**
 * Writes a Y4M (YUV 4:2:0) video for Chromium's fake camera: the face, centred
 * on a grey background, its jaw dropping and closing as if speaking, looped by
 * Chromium for as long as the page records. `seconds` at 10 frames a second.
 */
export async function writeFakeCameraVideo(file: string, face: Face = 'a', seconds = 2): Promise<void> {
  const width = 640;
  const height = 480;
  const fps = 10;
  const poses = await Promise.all(
    [1, 1.08, 1.16, 1.24, 1.16, 1.08].map(async (factor) => {
      const image = await speaking(await crop(face, 0.8), factor);
      const { data } = await sharp({
        create: { width, height, channels: 3, background: '#8c8c8c' },
      })
        .composite([{ input: await sharp(image).resize({ height: 380 }).toBuffer(), gravity: 'centre' }])
        .removeAlpha()
        .raw()
        .toBuffer({ resolveWithObject: true });
      return toI420(data, width, height);
    }),
  );
  const header = Buffer.from(`YUV4MPEG2 W${width} H${height} F${fps}:1 Ip A1:1 C420jpeg\n`);
  const frames: Buffer[] = [header];
  for (let i = 0; i < seconds * fps; i++) {
    frames.push(Buffer.from('FRAME\n'), poses[Math.floor(i / 2) % poses.length]!);
  }
  await writeFile(file, Buffer.concat(frames));
}

/** RGB to planar YUV 4:2:0 (BT.601, full range, as C420jpeg says). */
function toI420(rgb: Buffer, width: number, height: number): Buffer {
  const out = Buffer.alloc(width * height * 1.5);
  const uOffset = width * height;
  const vOffset = uOffset + (width / 2) * (height / 2);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      const [r, g, b] = [rgb[i]!, rgb[i + 1]!, rgb[i + 2]!];
      out[y * width + x] = Math.round(0.299 * r + 0.587 * g + 0.114 * b);
      if (y % 2 === 0 && x % 2 === 0) {
        const c = (y / 2) * (width / 2) + x / 2;
        out[uOffset + c] = Math.max(
          0,
          Math.min(255, Math.round(128 - 0.168736 * r - 0.331264 * g + 0.5 * b)),
        );
        out[vOffset + c] = Math.max(
          0,
          Math.min(255, Math.round(128 + 0.5 * r - 0.418688 * g - 0.081312 * b)),
        );
      }
    }
  }
  return out;
}
