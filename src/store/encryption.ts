// Seals small secrets at rest (signing keys, authenticator secrets, NHS
// numbers) with AES-256-GCM under the service's ENCRYPTION_KEY, and makes
// keyed lookup hashes so a sealed value can still be found and kept unique.
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Sealer {
  seal(plaintext: string): string;
  open(sealed: string): string;
  /** Deterministic keyed hash for lookups and uniqueness (not reversible). */
  lookupHash(value: string): string;
}

const VERSION = 'v1';

export function createSealer(keyBase64: string): Sealer {
  const key = Buffer.from(keyBase64, 'base64');
  if (key.length !== 32) throw new Error('ENCRYPTION_KEY must be 32 bytes, base64-encoded');
  // Separate sub-keys so the lookup hash never reveals anything about the cipher key.
  const encKey = createHmac('sha256', key).update('encrypt').digest();
  const macKey = createHmac('sha256', key).update('lookup').digest();
  return {
    seal(plaintext) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', encKey, iv);
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return [
        VERSION,
        iv.toString('base64url'),
        cipher.getAuthTag().toString('base64url'),
        body.toString('base64url'),
      ].join('.');
    },
    open(sealed) {
      const [version, iv, tag, body] = sealed.split('.');
      if (version !== VERSION || !iv || !tag || body === undefined) throw new Error('not a sealed value');
      const decipher = createDecipheriv('aes-256-gcm', encKey, Buffer.from(iv, 'base64url'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      try {
        return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString(
          'utf8',
        );
      } catch {
        // OpenSSL's own words ("unable to authenticate data") do not say which key or what to do.
        throw new Error(
          'a sealed value could not be opened: it was sealed under another ENCRYPTION_KEY, or altered',
        );
      }
    },
    lookupHash(value) {
      return createHmac('sha256', macKey).update(value).digest('base64url');
    },
  };
}

/**
 * The development key: made once and kept beside the embedded database, so
 * data survives a restart. Production must set ENCRYPTION_KEY (config.ts refuses otherwise).
 */
export function developmentEncryptionKey(dataDir: string): string {
  const file = join(dataDir, 'encryption.key');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(32).toString('base64');
  writeFileSync(file, key + '\n', { mode: 0o600 });
  return key;
}
