// The video selfie, as uploaded: kept for the ID checker to watch, never
// analysed on the server. Decoding, re-encoding or stripping a video needs
// ffmpeg, which is not installed here (and no npm package does it without
// a native binary or a download), so the automated checks run on still
// frames the page draws from the video while recording (see
// src/adapters/face-match/liveness.ts), and the video is only checked to be
// what it says: a WebM (what MediaRecorder makes in Chrome, Edge and
// Firefox) or an MP4 (Safari's MediaRecorder, and phones' camera apps), within
// a size limit, sniffed from its bytes.
//
// What cannot be done without ffmpeg, and how it is contained: the video is
// stored as uploaded, so any metadata in it stays (MediaRecorder writes none
// that identifies a place or device; a phone's camera app may write its
// location into an MP4). It is encrypted at rest, shown only to ID checkers,
// and deleted after the retention period, like the photos.
import { err, ok, type Result } from '../../domain/result.js';

export type VideoContainer = 'webm' | 'mp4';

export interface VideoLimits {
  /** Largest upload in bytes. */
  readonly maxBytes: number;
}

/**
 * 30 MB holds a minute of 1080p from a phone's camera app; the page's own
 * recording of a few seconds at 720p is 2 to 5 MB.
 */
export const DEFAULT_VIDEO_LIMITS: VideoLimits = { maxBytes: 30 * 1024 * 1024 };

export type VideoRejection =
  | { readonly code: 'empty' }
  | { readonly code: 'too-large'; readonly maxBytes: number }
  | { readonly code: 'not-a-video' };

const EBML_MAGIC = [0x1a, 0x45, 0xdf, 0xa3];
// ISO base media files whose brand says they are still images (HEIC, AVIF), not video.
const IMAGE_BRANDS = new Set(['heic', 'heix', 'hevc', 'heim', 'heis', 'mif1', 'msf1', 'avif', 'avis']);

const ascii = (bytes: Uint8Array, start: number, end: number): string =>
  String.fromCharCode(...bytes.subarray(start, end));

/** The container the bytes are, or undefined. Only the first bytes are read. */
export function sniffVideo(bytes: Uint8Array): VideoContainer | undefined {
  if (EBML_MAGIC.every((byte, i) => bytes[i] === byte)) {
    // The EBML header names the document type near the start: webm, not any Matroska.
    return ascii(bytes, 4, Math.min(bytes.length, 64)).includes('webm') ? 'webm' : undefined;
  }
  if (bytes.length >= 12 && ascii(bytes, 4, 8) === 'ftyp') {
    return IMAGE_BRANDS.has(ascii(bytes, 8, 12)) ? undefined : 'mp4';
  }
  return undefined;
}

export interface CheckedVideo {
  readonly container: VideoContainer;
  readonly bytes: Uint8Array;
}

/** Checks an uploaded video by its bytes (never its name or declared type) and size. */
export function checkVideoUpload(
  bytes: Uint8Array,
  limits: VideoLimits = DEFAULT_VIDEO_LIMITS,
): Result<CheckedVideo, VideoRejection> {
  if (bytes.length === 0) return err({ code: 'empty' });
  if (bytes.length > limits.maxBytes) return err({ code: 'too-large', maxBytes: limits.maxBytes });
  const container = sniffVideo(bytes);
  return container ? ok({ container, bytes }) : err({ code: 'not-a-video' });
}
