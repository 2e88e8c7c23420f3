import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { ServiceContext } from '../context.js';
import { serverKey } from '../server-secret.service.js';

/**
 * TOTP secrets are encrypted at rest (AES-256-GCM) under a server key kept in `server_secrets`:
 * a copy of the users table alone, or a log of its rows, does not give away anyone's codes.
 * The user id is bound in as associated data, so a secret copied to another row does not open.
 */
const KEY_NAME = 'totp-secrets';
const keys = new WeakMap<ServiceContext, () => Promise<Buffer>>();

function keyOf(ctx: ServiceContext): Promise<Buffer> {
  let get = keys.get(ctx);
  if (!get) {
    get = serverKey(ctx, KEY_NAME);
    keys.set(ctx, get);
  }
  return get();
}

export async function sealSecret(ctx: ServiceContext, userId: number, plain: string): Promise<string> {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', await keyOf(ctx), iv);
  cipher.setAAD(Buffer.from(`user:${userId}`));
  const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
}

/** The plaintext, or null for a value that does not open (another key, another row, tampered). */
export async function openSecret(ctx: ServiceContext, userId: number, sealed: string): Promise<string | null> {
  const [version, iv, tag, body] = sealed.split('.');
  if (version !== 'v1' || !iv || !tag || body === undefined) return null;
  try {
    const decipher = createDecipheriv('aes-256-gcm', await keyOf(ctx), Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(`user:${userId}`));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
  } catch {
    return null;
  }
}
