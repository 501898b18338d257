// The evidence volume filling up mid-write (ENOSPC): the upload fails as
// "unavailable" (a 503 the person can retry), and no half-written file is
// left behind. The disk is made full by letting every write stop part way.
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { isUnavailable } from '../../web/unavailable.js';
import { createFileEvidenceStore } from './evidence-store.js';

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  return {
    ...real,
    // Writes the first bytes, then runs out of space, as a real full disk does.
    writeFile: async (file: string, data: Uint8Array, options: object) => {
      await real.writeFile(file, data.subarray(0, 16), options);
      throw Object.assign(new Error(`ENOSPC: no space left on device, write '${file}'`), { code: 'ENOSPC' });
    },
  };
});

const dir = await mkdtemp(path.join(tmpdir(), 'evidence-full-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('file evidence store on a full disk', () => {
  it('fails the upload as unavailable and leaves nothing half-written', async () => {
    const store = createFileEvidenceStore({
      dir,
      keyBase64: randomBytes(32).toString('base64'),
      retentionDays: 30,
    });
    const failure = await store
      .put({ kind: 'document-photo', contentType: 'image/jpeg', bytes: randomBytes(2048) })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(failure).toBeDefined();
    expect(isUnavailable(failure)).toBe(true);
    expect(await readdir(dir)).toEqual([]);
  });
});
