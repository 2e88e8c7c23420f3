import { createHash, randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';

/**
 * API token format: `wharf_` + 32 base62 characters from the CSPRNG (about 190.5 bits)
 * + 6 base62 characters of the CRC32 of everything before them. The prefix makes a leaked
 * token easy to recognise; the checksum lets the server and secret scanners discard a
 * mistyped or invented token without touching the database.
 */
export const TOKEN_PREFIX = 'wharf_';
export const TOKEN_RANDOM_LENGTH = 32;
export const TOKEN_CHECKSUM_LENGTH = 6;
export const TOKEN_LENGTH = TOKEN_PREFIX.length + TOKEN_RANDOM_LENGTH + TOKEN_CHECKSUM_LENGTH;
/**
 * A trusted-publishing token (minted for a CI job, living 30 minutes): the same shape after its
 * own prefix, so it is told apart before any lookup and found by the same scanners.
 */
export const TRUSTPUB_TOKEN_PREFIX = 'wharf_tp_';
/** The pattern to register with a secret scanner: both kinds of token. */
export const TOKEN_PATTERN = /wharf_(?:tp_)?[0-9A-Za-z]{38}/;

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
// 248 = 62 * 4: bytes at or above it are dropped so every character is equally likely.
const UNBIASED_LIMIT = 248;

/** `length` base62 characters, uniformly distributed, from the CSPRNG. */
export function randomBase62(length: number, source: (n: number) => Buffer = randomBytes): string {
  let out = '';
  while (out.length < length) {
    for (const byte of source(length * 2)) {
      if (byte < UNBIASED_LIMIT) out += BASE62[byte % 62];
      if (out.length === length) break;
    }
  }
  return out;
}

function checksum(body: string): string {
  let n = crc32(body);
  let out = '';
  for (let i = 0; i < TOKEN_CHECKSUM_LENGTH; i++) {
    out = BASE62[n % 62] + out;
    n = Math.floor(n / 62);
  }
  return out;
}

export function generateToken(prefix: string = TOKEN_PREFIX): string {
  const body = prefix + randomBase62(TOKEN_RANDOM_LENGTH);
  return body + checksum(body);
}

export function generateTrustpubToken(): string {
  return generateToken(TRUSTPUB_TOKEN_PREFIX);
}

function hasShape(token: string, prefix: string): boolean {
  const length = prefix.length + TOKEN_RANDOM_LENGTH + TOKEN_CHECKSUM_LENGTH;
  if (token.length !== length || !token.startsWith(prefix)) return false;
  if (!/^[0-9A-Za-z]+$/.test(token.slice(prefix.length))) return false;
  return checksum(token.slice(0, -TOKEN_CHECKSUM_LENGTH)) === token.slice(-TOKEN_CHECKSUM_LENGTH);
}

/** True when `token` has the shape of a user's API token and its checksum matches. No database involved. */
export function isWellFormedToken(token: string): boolean {
  return hasShape(token, TOKEN_PREFIX);
}

/** True when `token` has the shape of a trusted-publishing token and its checksum matches. */
export function isWellFormedTrustpubToken(token: string): boolean {
  return hasShape(token, TRUSTPUB_TOKEN_PREFIX);
}

/** What the database stores and looks up: the SHA-256 of the token, hex. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
