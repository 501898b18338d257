// The face-match port on @vladmandic/face-api (SSD MobileNet v1 detector, 68
// point landmarks, and the dlib-style ResNet recognition model that gives a
// 128-number descriptor) running on TensorFlow.js with the WASM backend, on
// the CPU, offline.
//
// Nothing is downloaded, ever: face-api's own demos point the WASM backend at
// a CDN and tfjs fetches by default, which fails where egress is locked down
// (as in most NHS deployments). Here the WASM binaries are read from
// node_modules/@tensorflow/tfjs-backend-wasm/dist/ (setWasmPaths with a file
// system prefix and usePlatformFetch off, so emscripten reads them with fs),
// and the model weights from node_modules/@vladmandic/face-api/model/ with
// face-api's loadFromDisk (fs again). Images are decoded by sharp into raw RGB
// and handed over as an int32 tensor: no canvas, no browser shims.
//
// face-api and tfjs are CommonJS bundles with global state (one backend per
// process), so they are loaded lazily, once per process, on the first call:
// importing this module costs nothing, and a process that never compares a
// face never loads 12 MB of model weights.
import { createRequire } from 'node:module';
import path from 'node:path';

import sharp from 'sharp';

import { err, ok, type Result } from '../../domain/result.js';
import { descriptorDistance, type DetectedFace, type FaceMatchError, type FaceMatcher } from './port.js';

type FaceApi = typeof import('@vladmandic/face-api/dist/face-api.node-wasm.js');
type Tf = typeof import('@tensorflow/tfjs');
type TfWasm = typeof import('@tensorflow/tfjs-backend-wasm');

const require = createRequire(import.meta.url);

/** Where the packages keep their assets, resolved from this module. */
function packageDir(name: string): string {
  return path.dirname(require.resolve(`${name}/package.json`));
}

export interface FaceApiOptions {
  /** Folder with the face-api model manifests and weights. Default: the package's own model/. */
  modelDir?: string;
  /** Folder (with a trailing slash) holding tfjs-backend-wasm's .wasm files. Default: the package's dist/. */
  wasmDir?: string;
  /** Detector confidence below which a candidate is not a face. Default 0.5. */
  minConfidence?: number;
  /**
   * Longest edge the image is scaled down to before detection. The detector
   * works at 512 x 512 whatever it is given, so larger images only cost time
   * decoding; 1024 keeps a passport portrait (a fifth of the page) large
   * enough to find. Default 1024.
   */
  maxImageEdge?: number;
  /**
   * A grey border added on each side before detection, as a fraction of the
   * longest edge. The SSD detector misses a face that fills the frame (a
   * close selfie, a tightly cropped portrait) unless it has room around it:
   * without a border a tight crop from the package's sample photos is not
   * found at all; with 9% it is found with confidence 0.91. Default 0.125.
   */
  padding?: number;
}

interface Loaded {
  faceapi: FaceApi;
}

// One runtime per process: tfjs keeps its backend and face-api its weights in
// module globals, so every matcher shares them.
let loading: Promise<Result<Loaded, FaceMatchError>> | undefined;

// The emscripten glue of tfjs-backend-wasm adds process-wide handlers that
// rethrow every uncaught exception and unhandled rejection, which would
// override the server's own (and the test runner's). They are removed as
// soon as the backend has loaded.
const PROCESS_EVENTS = ['uncaughtException', 'unhandledRejection'] as const;

type Listener = (...args: unknown[]) => void;
// Both events take (error, ...): one cast keeps the overloads quiet.
const listenersOf = (event: (typeof PROCESS_EVENTS)[number]): Listener[] =>
  process.listeners(event as 'uncaughtException') as Listener[];

function withoutNewProcessListeners<T>(run: () => Promise<T>): Promise<T> {
  const before = new Map(PROCESS_EVENTS.map((event) => [event, new Set(listenersOf(event))]));
  return run().finally(() => {
    for (const event of PROCESS_EVENTS) {
      for (const listener of listenersOf(event)) {
        if (!before.get(event)?.has(listener)) process.removeListener(event, listener);
      }
    }
  });
}

async function load(modelDir: string, wasmDir: string): Promise<Result<Loaded, FaceMatchError>> {
  try {
    const tf = require('@tensorflow/tfjs') as Tf;
    const wasm = require('@tensorflow/tfjs-backend-wasm') as TfWasm;
    // The prefix is a file system path and the second argument (use the
    // platform's fetch) is false: emscripten then reads the files with fs.
    wasm.setWasmPaths(wasmDir.endsWith(path.sep) ? wasmDir : wasmDir + path.sep, false);
    const ready = await withoutNewProcessListeners(async () => {
      const set = await tf.setBackend('wasm');
      await tf.ready();
      return set;
    });
    if (!ready) throw new Error('the tfjs WASM backend did not initialise');
    const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js') as FaceApi;
    await faceapi.nets.ssdMobilenetv1.loadFromDisk(modelDir);
    await faceapi.nets.faceLandmark68Net.loadFromDisk(modelDir);
    await faceapi.nets.faceRecognitionNet.loadFromDisk(modelDir);
    return ok({ faceapi });
  } catch (error) {
    return err({ code: 'unavailable', message: `face comparison could not start: ${String(error)}` });
  }
}

let loadedFrom: string | undefined;

function loadOnce(modelDir: string, wasmDir: string): Promise<Result<Loaded, FaceMatchError>> {
  // face-api keeps one set of weights per process: a second matcher asking
  // for other folders cannot have them.
  const from = `${modelDir} ${wasmDir}`;
  if (loading && loadedFrom !== from) {
    return Promise.resolve(
      err({ code: 'unavailable', message: `face-api is already loaded in this process from ${loadedFrom}` }),
    );
  }
  loadedFrom = from;
  // A failed load is not kept: the next call tries again (a file system
  // hiccup should not disable face comparison until a restart).
  loading ??= load(modelDir, wasmDir).then((result) => {
    if (!result.ok) loading = undefined;
    return result;
  });
  return loading;
}

interface Decoded {
  data: Buffer;
  width: number;
  height: number;
  /** Grey border added on each side, in decoded pixels. */
  pad: number;
  /** Image pixels per decoded pixel (the decoded image may be scaled down). */
  scale: number;
  /** After EXIF rotation, before scaling. */
  imageWidth: number;
  imageHeight: number;
}

async function decode(
  image: Uint8Array,
  maxEdge: number,
  padding: number,
): Promise<Result<Decoded, FaceMatchError>> {
  try {
    const source = sharp(image, { failOn: 'error' });
    // autoOrient: the size once the EXIF orientation is applied.
    const { width: imageWidth, height: imageHeight } = (await source.metadata()).autoOrient;
    const fitted = await source
      .autoOrient()
      .resize({ width: maxEdge, height: maxEdge, fit: 'inside', withoutEnlargement: true })
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    // A border around the picture: the SSD detector misses a face that fills
    // the frame (a close selfie, a cropped portrait) unless it has some room.
    const pad = Math.round(Math.max(fitted.info.width, fitted.info.height) * padding);
    const { data, info } = await sharp(fitted.data, { raw: fitted.info })
      .extend({ top: pad, bottom: pad, left: pad, right: pad, background: { r: 128, g: 128, b: 128 } })
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`expected 3 channels, got ${info.channels}`);
    return ok({
      data,
      width: info.width,
      height: info.height,
      pad,
      scale: imageWidth / fitted.info.width,
      imageWidth,
      imageHeight,
    });
  } catch (error) {
    return err({ code: 'unreadable-image', message: `the image could not be decoded: ${String(error)}` });
  }
}

/** A matcher on face-api with the tfjs WASM backend; loads on first use. */
export function createFaceApiMatcher(options: FaceApiOptions = {}): FaceMatcher {
  const modelDir = options.modelDir ?? path.join(packageDir('@vladmandic/face-api'), 'model');
  const wasmDir =
    options.wasmDir ?? path.join(packageDir('@tensorflow/tfjs-backend-wasm'), 'dist') + path.sep;
  const minConfidence = options.minConfidence ?? 0.5;
  const maxImageEdge = options.maxImageEdge ?? 1024;
  const padding = options.padding ?? 0.125;

  return {
    async describe(image) {
      const loaded = await loadOnce(modelDir, wasmDir);
      if (!loaded.ok) return loaded;
      const { faceapi } = loaded.value;
      const decoded = await decode(image, maxImageEdge, padding);
      if (!decoded.ok) return decoded;
      const { data, width, height, pad, scale, imageWidth, imageHeight } = decoded.value;
      // face-api's tf is @tensorflow/tfjs re-exported (the same instance), typed as face-api expects.
      const input = faceapi.tf.tensor3d(new Int32Array(data), [height, width, 3], 'int32');
      try {
        const found = await faceapi
          .detectAllFaces(input, new faceapi.SsdMobilenetv1Options({ minConfidence, maxResults: 10 }))
          .withFaceLandmarks()
          .withFaceDescriptors();
        const largest = found.reduce<(typeof found)[number] | undefined>(
          (best, face) => (!best || face.detection.box.area > best.detection.box.area ? face : best),
          undefined,
        );
        // Back from the padded, scaled tensor to the image's own pixels.
        const toImage = (x: number, y: number) => ({ x: (x - pad) * scale, y: (y - pad) * scale });
        let main: DetectedFace | undefined;
        if (largest) {
          const { box, score } = largest.detection;
          const origin = toImage(box.x, box.y);
          main = {
            box: { ...origin, width: box.width * scale, height: box.height * scale },
            score,
            landmarks: largest.landmarks.positions.map((p) => toImage(p.x, p.y)),
            descriptor: largest.descriptor,
          };
        }
        return ok({ faces: found.length, ...(main ? { main } : {}), imageWidth, imageHeight });
      } finally {
        input.dispose();
      }
    },
    compare: descriptorDistance,
  };
}
