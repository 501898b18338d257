// The face-match port: find faces in an image and turn the main one into a
// descriptor (a point in a 128-dimensional space where photos of the same
// person lie close together), and measure how far apart two descriptors are.
//
// What the distances mean, and what counts as the same person, is a rule of
// the domain (src/domain/photo-id.ts, FACE_THRESHOLDS): this port only
// measures. Every distance here is the euclidean distance between
// descriptors of the face-api (dlib ResNet) family, so thresholds chosen for
// one adapter hold for another only if it uses the same model.
//
// Errors are values: an image that cannot be decoded is the person's to fix
// (take the photo again); a model that cannot load is ours, and is never
// reported as "no face".
import type { Result } from '../../domain/result.js';

export interface FacePoint {
  readonly x: number;
  readonly y: number;
}

/** A face's bounding box, in pixels of the image as given (after EXIF rotation). */
export interface FaceBox {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** One face found in an image. */
export interface DetectedFace {
  readonly box: FaceBox;
  /** Detector confidence, 0 to 1. */
  readonly score: number;
  /** The 68 landmarks (jaw, brows, nose, eyes, mouth), in image pixels. */
  readonly landmarks: readonly FacePoint[];
  readonly descriptor: Float32Array;
}

/**
 * What an image shows: how many faces, and the largest of them (the main
 * face: on a document, the portrait rather than the small ghost image; in a
 * selfie, the person nearest the camera).
 */
export interface FaceDescription {
  readonly faces: number;
  /** Absent when no face was found. */
  readonly main?: DetectedFace;
  /** The image's size after EXIF rotation, for reading `box`. */
  readonly imageWidth: number;
  readonly imageHeight: number;
}

export type FaceMatchError =
  /** The bytes are not an image we can decode. */
  | { readonly code: 'unreadable-image'; readonly message: string }
  /** The models or the WASM runtime failed to load: our fault, never "no face". */
  | { readonly code: 'unavailable'; readonly message: string };

export interface FaceMatcher {
  /** Finds faces in a JPEG, PNG or WebP image and describes the largest. */
  describe(image: Uint8Array): Promise<Result<FaceDescription, FaceMatchError>>;
  /** Euclidean distance between two descriptors: 0 is identical; below about 0.6 the model thinks "same person". */
  compare(a: Float32Array, b: Float32Array): number;
}

/** Euclidean distance between two descriptors of the same length. */
export function descriptorDistance(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new RangeError(`descriptor lengths differ: ${a.length} and ${b.length}`);
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    sum += d * d;
  }
  return Math.sqrt(sum);
}
