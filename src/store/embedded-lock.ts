// Embedded Postgres (PGlite) is one process's database: two processes writing
// the same data folder would each keep their own picture of it and overwrite
// the other's pages. The service takes this lock while it runs; a second
// service refuses to start, and the CLI reads but does not write while the
// lock is held. (With DATABASE_URL, a real server arbitrates and no lock is needed.)
import { readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

const LOCK_FILE = 'service.pid';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but is not ours to signal.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid of a live service holding the folder, if any. */
export function embeddedLockHolder(dataDir: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(dataDir, LOCK_FILE), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

export class EmbeddedDatabaseInUse extends Error {}

/** Takes the folder for this process; returns the release function. */
export function lockEmbeddedDatabase(dataDir: string): () => void {
  const holder = embeddedLockHolder(dataDir);
  if (holder) {
    throw new EmbeddedDatabaseInUse(
      `The embedded database in ${dataDir} is in use by another NHS login process (pid ${holder}). Stop it first, or set DATABASE_URL to use a PostgreSQL server.`,
    );
  }
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, LOCK_FILE);
  writeFileSync(file, String(process.pid));
  return () => rmSync(file, { force: true });
}
