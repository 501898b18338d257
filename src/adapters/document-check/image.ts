// Uploaded photos (of the document, and the frames the page takes from the
// video), made safe to keep and to show: only real JPEG, PNG, WebP or AVIF
// images, within a size in bytes and in pixels, turned upright by their EXIF
// orientation, then re-encoded as a plain JPEG with every piece of metadata
// gone (EXIF with its GPS position, camera serial numbers, XMP, IPTC, ICC
// profiles, comments, thumbnails), at most 2000 pixels on the long edge.
//
// What the bytes are is decided by decoding them with sharp (libvips), never
// by the filename or the Content-Type the browser sent: this function is not
// even given them. Re-encoding means the stored file is one we wrote, so
// anything smuggled inside the upload (a polyglot file, a script in a comment,
// a malformed chunk aimed at a viewer) does not survive.
//
// HEIC, what iPhones save by default, cannot be decoded: sharp's prebuilt
// libvips has HEIF with AV1 (AVIF) but not the patented HEVC codec. Browsers
// on iPhones convert to JPEG when the file input asks for image/jpeg (and a
// photo taken from the page's camera capture is JPEG already), so the page
// should use accept="image/jpeg,image/png,image/webp"; an HEIC that still
// arrives gets its own rejection so the page can say what to do.
//
// Errors are values: anything a person uploads comes back as a rejection.
import sharp, { type Metadata } from 'sharp';

import { err, ok, type Result } from '../../domain/result.js';

export type AcceptedImageFormat = 'jpeg' | 'png' | 'webp' | 'avif';

export interface UploadLimits {
  /** Largest upload in bytes, checked before anything is decoded. */
  readonly maxBytes: number;
  /** Largest image in pixels (width x height), checked from the header before decoding: a small file can be a huge image. */
  readonly maxPixels: number;
  /** Smallest short edge in pixels: below it a document cannot be read nor a face compared. */
  readonly minShortEdge: number;
  /** The long edge of the stored JPEG, at most. */
  readonly maxOutputEdge: number;
  /** JPEG quality of the stored image. */
  readonly jpegQuality: number;
}

/**
 * 10 MB is more than a phone's full-resolution JPEG (3-6 MB); 40 megapixels
 * is more than a 200 MP sensor's default output (12-50 MP after binning); 2000
 * pixels keeps the zone and the portrait of a passport page legible to an ID
 * checker; quality 85 keeps the fine print without the noise.
 */
export const DEFAULT_UPLOAD_LIMITS: UploadLimits = {
  maxBytes: 10 * 1024 * 1024,
  maxPixels: 40_000_000,
  minShortEdge: 300,
  maxOutputEdge: 2000,
  jpegQuality: 85,
};

export type UploadRejection =
  | { readonly code: 'empty' }
  | { readonly code: 'too-large'; readonly maxBytes: number }
  /** Not an image at all (a PDF, a text file, random bytes). */
  | { readonly code: 'not-an-image' }
  /** An image, but not a kind we accept (GIF, SVG, TIFF...). */
  | { readonly code: 'unsupported-type'; readonly format: string }
  /** An iPhone's HEIC: suggest a JPEG instead. */
  | { readonly code: 'heic' }
  | { readonly code: 'too-many-pixels'; readonly maxPixels: number }
  | { readonly code: 'too-small'; readonly minShortEdge: number }
  /** Truncated or corrupt: the header was fine, the pixels were not. */
  | { readonly code: 'damaged' };

export interface CleanImage {
  /** The re-encoded image: JPEG, upright, sRGB, no metadata. */
  readonly jpeg: Buffer;
  readonly width: number;
  readonly height: number;
  /** What the upload turned out to be. */
  readonly uploadedFormat: AcceptedImageFormat;
  readonly uploadedBytes: number;
}

const ACCEPTED = new Set<string>(['jpeg', 'png', 'webp']);

/**
 * Checks an uploaded image and returns it re-encoded. Only the bytes are
 * looked at.
 */
export async function cleanUpload(
  bytes: Uint8Array,
  limits: UploadLimits = DEFAULT_UPLOAD_LIMITS,
): Promise<Result<CleanImage, UploadRejection>> {
  if (bytes.length === 0) return err({ code: 'empty' });
  if (bytes.length > limits.maxBytes) return err({ code: 'too-large', maxBytes: limits.maxBytes });

  // Read the header only: nothing is decoded until the size is known to be sane.
  let metadata: Metadata;
  try {
    metadata = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch {
    return err({ code: 'not-an-image' });
  }
  let format: AcceptedImageFormat;
  if (metadata.format === 'heif') {
    if (metadata.compression !== 'av1') return err({ code: 'heic' });
    format = 'avif';
  } else if (ACCEPTED.has(metadata.format)) {
    format = metadata.format as AcceptedImageFormat;
  } else {
    return err({ code: 'unsupported-type', format: metadata.format });
  }
  const { width, height } = metadata.autoOrient;
  if (width * height > limits.maxPixels) return err({ code: 'too-many-pixels', maxPixels: limits.maxPixels });
  if (Math.min(width, height) < limits.minShortEdge)
    return err({ code: 'too-small', minShortEdge: limits.minShortEdge });

  try {
    // failOn 'error' rejects truncated and corrupt pixel data; pages 1 takes
    // the first frame of anything animated. Without withMetadata() or
    // keepMetadata(), sharp writes no metadata at all, and converts to sRGB.
    const { data, info } = await sharp(bytes, {
      failOn: 'error',
      limitInputPixels: limits.maxPixels,
      pages: 1,
    })
      .autoOrient()
      .resize({
        width: limits.maxOutputEdge,
        height: limits.maxOutputEdge,
        fit: 'inside',
        withoutEnlargement: true,
      })
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb')
      .jpeg({ quality: limits.jpegQuality })
      .toBuffer({ resolveWithObject: true });
    return ok({
      jpeg: data,
      width: info.width,
      height: info.height,
      uploadedFormat: format,
      uploadedBytes: bytes.length,
    });
  } catch {
    return err({ code: 'damaged' });
  }
}

/** Words for the page (the ID photo or the video frames). */
export function describeUploadRejection(rejection: UploadRejection): string {
  switch (rejection.code) {
    case 'empty':
      return 'The selected file is empty';
    case 'too-large':
      return `The selected file must be smaller than ${Math.floor(rejection.maxBytes / (1024 * 1024))}MB`;
    case 'not-an-image':
    case 'unsupported-type':
      return 'The selected file must be a JPG, PNG or WebP photo';
    case 'heic':
      return 'The selected photo is in HEIC format. Take the photo again from this page, or choose a JPG';
    case 'too-many-pixels':
      return 'The selected photo is too large. Choose a smaller photo';
    case 'too-small':
      return 'The selected photo is too small to read. Take the photo again closer to your ID';
    case 'damaged':
      return 'The selected file could not be opened. Take the photo again';
  }
}
