// Starts embedded Postgres (PGlite) with memory settings that suit one small
// process. Two things would otherwise make it most of the service's memory:
//
// - PostgreSQL's default 128 MB of shared buffers. On disk, PGlite's files are
//   read through the operating system's page cache anyway, so a few MB of
//   buffers of its own cost little speed.
// - initdb. Creating a new database grows PGlite's WebAssembly memory to about
//   600 MB, and that memory is not given back while the process lives (even
//   after the instance is closed). So a new data folder is created by a
//   short-lived child process, and this process only ever opens an existing
//   one: a first start is as small as every later one.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { PGlite } from '@electric-sql/pglite';

/** Shared buffers for embedded Postgres; PostgreSQL's default is 128MB. */
export const EMBEDDED_SHARED_BUFFERS = '8MB';

const startParams = [...PGlite.defaultStartParams, '-c', `shared_buffers=${EMBEDDED_SHARED_BUFFERS}`];

/** Runs initdb for `dataDir` in a child process, so that its memory ends with it. */
async function createDataDir(dataDir: string): Promise<void> {
  const pglite = import.meta.resolve('@electric-sql/pglite');
  const script = `
    const { PGlite } = await import(${JSON.stringify(pglite)});
    const db = await PGlite.create({ dataDir: process.argv[1] });
    await db.close();
  `;
  await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script, dataDir]);
}

/** `dataDir` undefined keeps the database in memory (tests): new each time, so initdb's memory stays. */
export async function openPGlite(dataDir: string | undefined): Promise<PGlite> {
  if (!dataDir) return PGlite.create({ startParams });
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) await createDataDir(dataDir);
  return PGlite.create({ dataDir, startParams });
}
