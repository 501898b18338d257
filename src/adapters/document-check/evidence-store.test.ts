import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { createFileEvidenceStore, type EvidenceStore } from './evidence-store.js';

const KEY = randomBytes(32).toString('base64');
const DAY = 24 * 60 * 60 * 1000;
const PHOTO = Buffer.concat([
  Buffer.from([0xff, 0xd8, 0xff]),
  Buffer.from('a photo of a passport, MORGAN, 1976'),
]);

let dir: string;
let clock: Date;
let store: EvidenceStore;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'evidence-'));
  clock = new Date('2026-01-10T12:00:00Z');
  store = createFileEvidenceStore({ dir, keyBase64: KEY, retentionDays: 30, now: () => clock });
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('file evidence store', () => {
  it('keeps an item encrypted on disk and gives it back', async () => {
    const { id, deleteAfter } = await store.put({
      kind: 'document-photo',
      contentType: 'image/jpeg',
      bytes: PHOTO,
    });
    expect(deleteAfter).toEqual(new Date(clock.getTime() + 30 * DAY));
    const onDisk = await readFile(path.join(dir, `${id}.sealed`));
    expect(onDisk.includes(Buffer.from('MORGAN'))).toBe(false);
    expect(onDisk.includes(PHOTO.subarray(0, 3))).toBe(false);
    const item = await store.get(id);
    expect(item).toMatchObject({ id, kind: 'document-photo', contentType: 'image/jpeg', deleteAfter });
    expect(Buffer.from(item!.bytes)).toEqual(PHOTO);
  });

  it('cannot be read with another key', async () => {
    const { id } = await store.put({ kind: 'video', contentType: 'video/webm', bytes: PHOTO });
    const other = createFileEvidenceStore({
      dir,
      keyBase64: randomBytes(32).toString('base64'),
      retentionDays: 30,
      now: () => clock,
    });
    await expect(other.get(id)).rejects.toThrow();
  });

  it('refuses a file that was changed, relabelled or moved to another id', async () => {
    const first = await store.put({ kind: 'video-frame', contentType: 'image/jpeg', bytes: PHOTO });
    const second = await store.put({ kind: 'video-frame', contentType: 'image/jpeg', bytes: PHOTO });
    // Moved: the first item's file under the second item's id.
    await rename(path.join(dir, `${first.id}.sealed`), path.join(dir, `${second.id}.sealed`));
    await expect(store.get(second.id)).rejects.toThrow();
    // Relabelled: the kind in the header changed.
    const third = await store.put({ kind: 'video-frame', contentType: 'image/jpeg', bytes: PHOTO });
    const file = path.join(dir, `${third.id}.sealed`);
    const sealed = await readFile(file);
    await writeFile(
      file,
      Buffer.from(sealed.toString('latin1').replace('video-frame', 'video-fram_'), 'latin1'),
    );
    await expect(store.get(third.id)).rejects.toThrow();
  });

  it('deletes items when their retention ends, and never returns them after', async () => {
    const old = await store.put({ kind: 'document-photo', contentType: 'image/jpeg', bytes: PHOTO });
    clock = new Date(clock.getTime() + 10 * DAY);
    const recent = await store.put({ kind: 'video', contentType: 'video/mp4', bytes: PHOTO });
    clock = new Date(clock.getTime() + 20 * DAY);
    // The first item's 30 days are up to the millisecond.
    expect(await store.get(old.id)).toBeUndefined();
    expect(await store.get(recent.id)).toBeDefined();
    clock = new Date(clock.getTime() + 10 * DAY);
    expect(await store.deleteExpired()).toBe(1);
    expect(await readdir(dir)).toEqual([]);
  });

  it('deletes early on request, and ignores ids that are not ids', async () => {
    const { id } = await store.put({ kind: 'document-photo', contentType: 'image/jpeg', bytes: PHOTO });
    expect(await store.delete(id)).toBe(true);
    expect(await store.delete(id)).toBe(false);
    expect(await store.get(id)).toBeUndefined();
    expect(await store.get('../../etc/passwd')).toBeUndefined();
    expect(await store.delete('../secret')).toBe(false);
  });

  it('refuses a bad key or retention period', () => {
    expect(() => createFileEvidenceStore({ dir, keyBase64: 'c2hvcnQ=', retentionDays: 30 })).toThrow(
      /32 bytes/,
    );
    expect(() => createFileEvidenceStore({ dir, keyBase64: KEY, retentionDays: 0 })).toThrow(/retention/);
  });
});
