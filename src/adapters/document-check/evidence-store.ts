// Photo ID evidence at rest: the cleaned document photo, the video frames and
// the video, encrypted, and deleted when their retention period ends. Files
// rather than database rows: a photo ID check is 1-10 MB of evidence, read
// only by an ID checker, and a folder (a volume, or an object store behind
// the same port) keeps it out of the database's backups and replicas.
//
// Each item is sealed with AES-256-GCM under a key derived from the service's
// ENCRYPTION_KEY (HMAC-SHA256 with the label "evidence", as src/store/
// encryption.ts derives its own sub-keys), a fresh 12-byte nonce per item,
// and the item's id, kind and content type as associated data: a file moved
// to another id, or relabelled, fails to open. The id carries the time the
// item must be deleted by, so a sweep needs neither the key nor an index.
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';

export type EvidenceKind = 'document-photo' | 'video-frame' | 'video';

export interface EvidenceItem {
  readonly kind: EvidenceKind;
  /** image/jpeg, video/webm, video/mp4. */
  readonly contentType: string;
  readonly bytes: Uint8Array;
}

export interface StoredEvidence extends EvidenceItem {
  readonly id: string;
  readonly deleteAfter: Date;
}

export interface EvidenceStore {
  /** Seals and keeps an item until its retention period ends. */
  put(item: EvidenceItem): Promise<{ id: string; deleteAfter: Date }>;
  /** The item, or undefined when it does not exist or its retention has ended. Throws if it was tampered with. */
  get(id: string): Promise<StoredEvidence | undefined>;
  /** Deletes an item early (the check was decided, the person deleted their account). */
  delete(id: string): Promise<boolean>;
  /** Deletes every item whose retention has ended; returns how many. Run on a timer. */
  deleteExpired(): Promise<number>;
}

export interface FileEvidenceStoreOptions {
  /** The folder to keep evidence in (created if missing). */
  dir: string;
  /** The service's ENCRYPTION_KEY: 32 bytes, base64. */
  keyBase64: string;
  /** How long evidence is kept, in days. */
  retentionDays: number;
  /** For tests. */
  now?: () => Date;
}

const VERSION = 1;
const ID = /^(\d{10,13})-([A-Za-z0-9_-]{22})$/u;
const DAY_MS = 24 * 60 * 60 * 1000;

function deriveKey(keyBase64: string): Buffer {
  const key = Buffer.from(keyBase64, 'base64');
  if (key.length !== 32) throw new Error('ENCRYPTION_KEY must be 32 bytes, base64-encoded');
  return createHmac('sha256', key).update('evidence').digest();
}

const associatedData = (id: string, kind: string, contentType: string): Buffer =>
  Buffer.from(JSON.stringify([id, kind, contentType]));

/** Layout: version (1 byte), nonce (12), tag (16), header length (2), header JSON, ciphertext. */
function seal(key: Buffer, id: string, item: EvidenceItem): Buffer {
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(associatedData(id, item.kind, item.contentType));
  const body = Buffer.concat([cipher.update(item.bytes), cipher.final()]);
  const header = Buffer.from(JSON.stringify({ kind: item.kind, contentType: item.contentType }));
  const length = Buffer.alloc(2);
  length.writeUInt16BE(header.length);
  return Buffer.concat([Buffer.from([VERSION]), nonce, cipher.getAuthTag(), length, header, body]);
}

function open(key: Buffer, id: string, sealed: Buffer): EvidenceItem {
  if (sealed[0] !== VERSION || sealed.length < 31) throw new Error(`evidence ${id} is not a sealed item`);
  const nonce = sealed.subarray(1, 13);
  const tag = sealed.subarray(13, 29);
  const headerLength = sealed.readUInt16BE(29);
  const header = JSON.parse(sealed.subarray(31, 31 + headerLength).toString('utf8')) as {
    kind: EvidenceKind;
    contentType: string;
  };
  const decipher = createDecipheriv('aes-256-gcm', key, nonce);
  decipher.setAAD(associatedData(id, header.kind, header.contentType));
  decipher.setAuthTag(tag);
  const bytes = Buffer.concat([decipher.update(sealed.subarray(31 + headerLength)), decipher.final()]);
  return { kind: header.kind, contentType: header.contentType, bytes };
}

/** Evidence in a folder, one sealed file per item, named by its id. */
export function createFileEvidenceStore(options: FileEvidenceStoreOptions): EvidenceStore {
  const key = deriveKey(options.keyBase64);
  const now = options.now ?? (() => new Date());
  if (!(options.retentionDays > 0))
    throw new Error('the evidence retention period must be a positive number of days');
  const file = (id: string) => path.join(options.dir, `${id}.sealed`);
  const deleteAfterOf = (id: string): Date | undefined => {
    const match = ID.exec(id);
    return match ? new Date(Number(match[1])) : undefined;
  };
  const removed = async (id: string): Promise<boolean> => {
    try {
      await unlink(file(id));
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
  };

  return {
    async put(item) {
      await mkdir(options.dir, { recursive: true, mode: 0o700 });
      const deleteAfter = new Date(now().getTime() + options.retentionDays * DAY_MS);
      const id = `${deleteAfter.getTime()}-${randomBytes(16).toString('base64url')}`;
      // Written under a temporary name and renamed, so a reader never sees half a file.
      const temporary = `${file(id)}.partial`;
      try {
        await writeFile(temporary, seal(key, id, item), { mode: 0o600 });
        await rename(temporary, file(id));
      } catch (error) {
        // A full or failing volume (ENOSPC: answered 503, src/web/unavailable.ts) leaves no half-written file.
        await unlink(temporary).catch(() => undefined);
        throw error;
      }
      return { id, deleteAfter };
    },

    async get(id) {
      const deleteAfter = deleteAfterOf(id);
      if (!deleteAfter) return undefined;
      if (deleteAfter <= now()) {
        await removed(id);
        return undefined;
      }
      let sealed: Buffer;
      try {
        sealed = await readFile(file(id));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
      return { id, deleteAfter, ...open(key, id, sealed) };
    },

    delete(id) {
      return deleteAfterOf(id) ? removed(id) : Promise.resolve(false);
    },

    async deleteExpired() {
      let names: string[];
      try {
        names = await readdir(options.dir);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
        throw error;
      }
      let count = 0;
      for (const name of names) {
        const id = name.replace(/\.sealed(\.partial)?$/u, '');
        const deleteAfter = deleteAfterOf(id);
        if (deleteAfter && deleteAfter <= now()) {
          await unlink(path.join(options.dir, name)).catch(() => undefined);
          count++;
        }
      }
      return count;
    },
  };
}
