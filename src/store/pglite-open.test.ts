import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EMBEDDED_SHARED_BUFFERS, openPGlite } from './pglite-open.js';

const parent = mkdtempSync(path.join(tmpdir(), 'pglite-open-'));
afterAll(() => rmSync(parent, { recursive: true, force: true }));

describe('openPGlite', () => {
  it('creates a new data folder (in a child process) and finds its data there when opened again', async () => {
    const dataDir = path.join(parent, 'pg');
    const first = await openPGlite(dataDir);
    expect(existsSync(path.join(dataDir, 'PG_VERSION'))).toBe(true);
    await first.exec("create table kept (note text); insert into kept values ('still here')");
    await first.close();

    const again = await openPGlite(dataDir);
    const { rows } = await again.query<{ note: string }>('select note from kept');
    expect(rows).toEqual([{ note: 'still here' }]);
    await again.close();
  }, 60_000);

  it('runs with small shared buffers on disk and in memory', async () => {
    for (const dataDir of [path.join(parent, 'buffers'), undefined]) {
      const db = await openPGlite(dataDir);
      const { rows } = await db.query<{ shared_buffers: string }>('show shared_buffers');
      expect(rows[0]?.shared_buffers).toBe(EMBEDDED_SHARED_BUFFERS);
      await db.close();
    }
  }, 60_000);
});
