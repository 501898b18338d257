// The FaceMatcher port, with face-api running in a worker thread
// (worker.ts): describe() posts the image bytes there and waits for the
// description, so the server's event loop stays free for other requests
// while a face is measured (0.3 to 0.9 s an image on one core). compare() is
// arithmetic and stays here.
//
// The worker starts on the first describe() (a process that never compares a
// face never loads the models), and is restarted on the next call if it dies.
// A call that takes too long ends as 'unavailable' (our fault, never "no
// face") and the worker is replaced. The worker never keeps the process alive.
//
// Running from the TypeScript sources (tsx, vitest), the worker registers tsx
// itself before importing worker.ts; from compiled JavaScript it loads
// worker.js directly.
import { Worker } from 'node:worker_threads';

import { err, type Result } from '../../domain/result.js';
import type { FaceApiOptions } from './face-api.js';
import { descriptorDistance, type FaceDescription, type FaceMatchError, type FaceMatcher } from './port.js';
import type { DescribeRequest, DescribeResponse } from './worker.js';

export interface WorkerFaceMatcherOptions extends FaceApiOptions {
  /** How long one image may take, including loading the models on first use. Default 60 s. */
  timeoutMs?: number;
}

export interface WorkerFaceMatcher extends FaceMatcher {
  /** Stops the worker (tests, shutdown); a later describe() starts a new one. */
  close(): Promise<void>;
}

interface Pending {
  resolve: (result: Result<FaceDescription, FaceMatchError>) => void;
  timer: NodeJS.Timeout;
}

function startWorker(options: FaceApiOptions): Worker {
  const fromSource = import.meta.url.endsWith('.ts');
  const script = new URL(fromSource ? './worker.ts' : './worker.js', import.meta.url).href;
  if (!fromSource) return new Worker(new URL(script), { workerData: options });
  const bootstrap = `
    const { register } = await import('tsx/esm/api');
    register();
    await import(${JSON.stringify(script)});
  `;
  return new Worker(bootstrap, { eval: true, type: 'module', workerData: options } as ConstructorParameters<
    typeof Worker
  >[1]);
}

const unavailable = (message: string): Result<FaceDescription, FaceMatchError> =>
  err({ code: 'unavailable', message });

export function createWorkerFaceMatcher(options: WorkerFaceMatcherOptions = {}): WorkerFaceMatcher {
  const { timeoutMs = 60_000, ...faceApi } = options;
  let worker: Worker | undefined;
  let nextId = 1;
  const pending = new Map<number, Pending>();

  const failAll = (message: string) => {
    for (const [id, call] of pending) {
      clearTimeout(call.timer);
      pending.delete(id);
      call.resolve(unavailable(message));
    }
  };

  const stop = async (current: Worker | undefined) => {
    if (!current) return;
    if (worker === current) worker = undefined;
    await current.terminate();
  };

  function ensureWorker(): Worker {
    if (worker) return worker;
    const started = startWorker(faceApi);
    started.unref();
    started.on('message', (response: DescribeResponse) => {
      const call = pending.get(response.id);
      if (!call) return;
      clearTimeout(call.timer);
      pending.delete(response.id);
      call.resolve(response.result);
    });
    started.on('error', (error) => {
      if (worker === started) worker = undefined;
      failAll(`the face comparison worker failed: ${String(error)}`);
    });
    started.on('exit', (code) => {
      if (worker === started) worker = undefined;
      failAll(`the face comparison worker stopped (exit code ${code})`);
    });
    worker = started;
    return started;
  }

  return {
    describe(image) {
      const current = ensureWorker();
      const id = nextId++;
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          resolve(unavailable(`face comparison took longer than ${timeoutMs} ms`));
          // A stuck worker would hold every later image: start afresh.
          void stop(current);
        }, timeoutMs);
        timer.unref();
        pending.set(id, { resolve, timer });
        // A copy the worker owns: the caller's buffer may be a slice of a shared pool.
        const copy = new Uint8Array(image);
        const request: DescribeRequest = { id, image: copy };
        current.postMessage(request, [copy.buffer]);
      });
    },
    compare: descriptorDistance,
    async close() {
      failAll('the face comparison worker was closed');
      await stop(worker);
    },
  };
}
