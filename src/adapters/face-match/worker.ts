// The face-api matcher inside a worker thread (see worker-matcher.ts, which
// starts it). face-api's describe() keeps the thread busy for 0.3 to 0.9 s an
// image; here that is this thread's time, not the server's event loop.
//
// Messages in: { id, image: Uint8Array }. Out: { id, result } with the
// FaceDescription (its Float32Array descriptor survives structured clone) or
// the FaceMatchError, exactly as the port returns them.
import { parentPort, workerData } from 'node:worker_threads';

import { createFaceApiMatcher, type FaceApiOptions } from './face-api.js';
import type { FaceDescription, FaceMatchError } from './port.js';
import type { Result } from '../../domain/result.js';

export interface DescribeRequest {
  readonly id: number;
  readonly image: Uint8Array;
}

export interface DescribeResponse {
  readonly id: number;
  readonly result: Result<FaceDescription, FaceMatchError>;
}

const port = parentPort;
if (!port) throw new Error('worker.ts runs in a worker thread: use createWorkerFaceMatcher()');

const matcher = createFaceApiMatcher((workerData ?? {}) as FaceApiOptions);

// One image at a time, in the order asked: face-api shares one model.
let queue: Promise<void> = Promise.resolve();
port.on('message', (request: DescribeRequest) => {
  queue = queue.then(async () => {
    let result: Result<FaceDescription, FaceMatchError>;
    try {
      result = await matcher.describe(request.image);
    } catch (error) {
      result = {
        ok: false,
        error: { code: 'unavailable', message: `face comparison failed: ${String(error)}` },
      };
    }
    const response: DescribeResponse = { id: request.id, result };
    port.postMessage(response);
  });
});
