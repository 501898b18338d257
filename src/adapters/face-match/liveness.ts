// From face descriptions of the document photo and of frames sampled from the
// video to the numbers the domain decides on (FaceEvidence in
// src/domain/photo-id.ts): how many faces each frame shows, how far each
// frame's face is from the document portrait, how much the face changes shape
// between frames, and whether the frames show one person.
//
// Why still frames: decoding WebM or MP4 on the server needs ffmpeg, which is
// not installed here (nor in many locked-down deployments), and no npm
// package decodes video without it. So the page draws frames of the video to
// a canvas while recording and uploads them as JPEGs with the video. The
// frames are what is checked automatically; the video itself is kept only for
// the ID checker to watch.
//
// Movement is measured on the shape of the face, not its position: each
// frame's 68 landmarks are moved so their centre is at the origin, turned so
// the eyes are level, and scaled so the eyes are one unit apart. What is left
// changes when the mouth, jaw or brows move (speaking the four digits) or the
// head turns, and hardly at all when a photo is moved about in front of the
// camera. This is a signal for the decision, not anti-spoofing: a screen
// replaying a video of someone speaking moves too, which is why the digits
// are random and a human checks what the automation cannot.
import type { FaceEvidence } from '../../domain/photo-id.js';
import { descriptorDistance, type FaceDescription, type FacePoint } from './port.js';

// 68-point landmark indices (iBUG 300-W): eyes are 36-41 (the person's right
// eye, on the left of the image) and 42-47.
const RIGHT_EYE = [36, 37, 38, 39, 40, 41] as const;
const LEFT_EYE = [42, 43, 44, 45, 46, 47] as const;

function centre(points: readonly FacePoint[], indices: readonly number[]): FacePoint {
  let x = 0;
  let y = 0;
  for (const i of indices) {
    x += points[i]!.x;
    y += points[i]!.y;
  }
  return { x: x / indices.length, y: y / indices.length };
}

/**
 * The landmarks with position, size and in-plane tilt taken out: centred,
 * eyes level and one unit apart. Undefined for anything but 68 landmarks.
 */
export function normaliseLandmarks(landmarks: readonly FacePoint[]): FacePoint[] | undefined {
  if (landmarks.length !== 68) return undefined;
  const all = landmarks.map((_, i) => i);
  const middle = centre(landmarks, all);
  const right = centre(landmarks, RIGHT_EYE);
  const left = centre(landmarks, LEFT_EYE);
  const dx = left.x - right.x;
  const dy = left.y - right.y;
  const eyes = Math.hypot(dx, dy);
  if (eyes === 0) return undefined;
  const cos = dx / eyes;
  const sin = dy / eyes;
  return landmarks.map((p) => {
    const x = p.x - middle.x;
    const y = p.y - middle.y;
    // Rotate by minus the eye line's angle, then scale.
    return { x: (x * cos + y * sin) / eyes, y: (y * cos - x * sin) / eyes };
  });
}

/** Mean distance between corresponding normalised landmarks. */
export function shapeChange(a: readonly FacePoint[], b: readonly FacePoint[]): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.hypot(a[i]!.x - b[i]!.x, a[i]!.y - b[i]!.y);
  return sum / a.length;
}

/**
 * The face evidence for the domain: the document's face count, each frame's
 * face count and distance to the document portrait, the largest shape change
 * between any two frames, and the largest distance between any two frames'
 * faces.
 */
export function measureFaces(document: FaceDescription, frames: readonly FaceDescription[]): FaceEvidence {
  const portrait = document.main?.descriptor;
  const evidence = frames.map((frame) =>
    portrait && frame.main
      ? { faces: frame.faces, distance: descriptorDistance(portrait, frame.main.descriptor) }
      : { faces: frame.faces },
  );

  const found = frames.flatMap((frame) => (frame.main ? [frame.main] : []));
  const shapes = found.flatMap((face) => {
    const shape = normaliseLandmarks(face.landmarks);
    return shape ? [shape] : [];
  });
  let movement = 0;
  let spread: number | undefined;
  for (let i = 0; i < found.length; i++) {
    for (let j = i + 1; j < found.length; j++) {
      spread = Math.max(spread ?? 0, descriptorDistance(found[i]!.descriptor, found[j]!.descriptor));
    }
  }
  for (let i = 0; i < shapes.length; i++) {
    for (let j = i + 1; j < shapes.length; j++)
      movement = Math.max(movement, shapeChange(shapes[i]!, shapes[j]!));
  }
  return {
    documentFaces: document.faces,
    frames: evidence,
    movement,
    ...(spread === undefined ? {} : { spread }),
  };
}
