import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/*
 * The at-rest format of one attachment (MSG-10):
 *
 *   "KSA1" | IV (12 bytes, fresh per file) | ciphertext | GCM tag (16 bytes)
 *
 * AES-256-GCM with the attachment id as additional authenticated data, so a
 * file copied over another attachment's file fails authentication too.
 */

/** Format marker and version; a new layout gets a new marker. */
export const MAGIC = Buffer.from('KSA1', 'latin1');
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Bytes the format adds to the plaintext. */
export const OVERHEAD = MAGIC.length + IV_BYTES + TAG_BYTES;
/** AES-256 key length. */
export const KEY_BYTES = 32;

/** Encrypts one attachment; the result is what goes to disk. */
export function seal(key: Buffer, id: string, plaintext: Buffer): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(id, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([MAGIC, iv, body, cipher.getAuthTag()]);
}

/**
 * Decrypts and authenticates one stored attachment. Throws (and returns no
 * bytes at all) when the marker is wrong or the file, its id or the key do
 * not match: corrupted bytes are never handed out.
 */
export function unseal(key: Buffer, id: string, stored: Buffer): Buffer {
  if (stored.length < OVERHEAD || !stored.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new Error('stored attachment has no KSA1 header');
  }
  const iv = stored.subarray(MAGIC.length, MAGIC.length + IV_BYTES);
  const tag = stored.subarray(stored.length - TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  decipher.setAAD(Buffer.from(id, 'utf8'));
  decipher.setAuthTag(tag);
  const body = stored.subarray(MAGIC.length + IV_BYTES, stored.length - TAG_BYTES);
  return Buffer.concat([decipher.update(body), decipher.final()]);
}
