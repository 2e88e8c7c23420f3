import { randomBytes, scrypt, type ScryptOptions, timingSafeEqual } from 'node:crypto';
import { AppError } from '../core/errors.js';

/**
 * Password hashing with scrypt (node:crypto). A stored hash names its own parameters, in the
 * PHC string style `$scrypt$ln=17,r=8,p=1$<salt>$<hash>`, so the cost can be raised later:
 * a hash made with less than the current cost is redone at the next successful sign-in.
 */
export interface ScryptCost {
  /** log2 of N, the CPU and memory cost. */
  ln: number;
  r: number;
  p: number;
}

/** OWASP's recommendation for scrypt: N=2^17, r=8, p=1 (128 MiB and a few hundred ms per hash). */
export const OWASP_SCRYPT: Readonly<ScryptCost> = Object.freeze({ ln: 17, r: 8, p: 1 });

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 1024;

const KEY_LENGTH = 32;
const SALT_LENGTH = 16;
const FORMAT = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]{16,})\$([A-Za-z0-9+/]{16,})$/;
// Each hash takes 128 * N * r bytes: only a couple may run at once, so a burst of sign-ins
// cannot exhaust the server's memory.
const MAX_CONCURRENT = 2;

let cost: ScryptCost = { ...OWASP_SCRYPT };

/** Lowers or raises the cost of new hashes. Production keeps OWASP's; tests lower it to stay fast. */
export function setPasswordHashCost(next: ScryptCost): void {
  checkCost(next);
  cost = { ...next };
  dummy = null;
}

export function passwordHashCost(): Readonly<ScryptCost> {
  return cost;
}

function checkCost({ ln, r, p }: ScryptCost): void {
  // Bounds also protect against a tampered hash that would make verification take forever.
  if (!(ln >= 10 && ln <= 22 && r >= 1 && r <= 32 && p >= 1 && p <= 16)) throw new Error('scrypt parameters out of range');
}

/** What is wrong with a new password, or null. Length counts characters, not bytes. */
export function passwordProblem(password: string, login?: string): string | null {
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH) return `a password needs at least ${PASSWORD_MIN_LENGTH} characters`;
  if (length > PASSWORD_MAX_LENGTH) return `a password may have at most ${PASSWORD_MAX_LENGTH} characters`;
  if (login !== undefined && password.trim().toLowerCase() === login.toLowerCase()) return 'a password must not be the login';
  return null;
}

/**
 * Hashes waiting for one of the MAX_CONCURRENT slots. Beyond this many a check is refused with
 * 503 and Retry-After instead of joining the line: a burst of sign-ins gets a quick answer, and
 * whoever comes next waits for at most this many hashes.
 */
export const MAX_WAITING_HASHES = 16;

/** What a hash computes; tests put a hasher they can hold in its place. */
export type KeyDerivation = (password: string, salt: Buffer, keyLength: number, options: ScryptOptions) => Promise<Buffer>;

const scryptKey: KeyDerivation = (password, salt, keyLength, options) =>
  new Promise<Buffer>((resolve, reject) => scrypt(password, salt, keyLength, options, (err, key) => (err ? reject(err) : resolve(key))));

let deriveKey: KeyDerivation = scryptKey;

/** Replaces scrypt (tests only: a hasher that can be held shows what happens while hashes queue); null restores it. */
export function setKeyDerivation(next: KeyDerivation | null): void {
  deriveKey = next ?? scryptKey;
}

let running = 0;
const waiting: Array<() => void> = [];

/** How many hashes run and how many wait for a slot. */
export function hashQueue(): { running: number; waiting: number } {
  return { running, waiting: waiting.length };
}

const busy = (): AppError =>
  new AppError('unavailable', 'the server is checking too many passwords at the moment; try again in a few seconds', { 'retry-after': '2' });

async function derive(password: string, salt: Buffer, c: ScryptCost): Promise<Buffer> {
  if (running >= MAX_CONCURRENT) {
    if (waiting.length >= MAX_WAITING_HASHES) throw busy();
    // The slot is handed over by the hash that ends (running stays counted), so no newcomer takes it first.
    await new Promise<void>((resolve) => waiting.push(resolve));
  } else {
    running++;
  }
  try {
    const N = 2 ** c.ln;
    return await deriveKey(password.normalize('NFC'), salt, KEY_LENGTH, { N, r: c.r, p: c.p, maxmem: 256 * N * c.r + 1024 * 1024 });
  } finally {
    const next = waiting.shift();
    if (next) next();
    else running--;
  }
}

const b64 = (b: Buffer) => b.toString('base64').replace(/=+$/, '');

export async function hashPassword(password: string): Promise<string> {
  const c = cost;
  const salt = randomBytes(SALT_LENGTH);
  const key = await derive(password, salt, c);
  return `$scrypt$ln=${c.ln},r=${c.r},p=${c.p}$${b64(salt)}$${b64(key)}`;
}

function parse(stored: string): { cost: ScryptCost; salt: Buffer; key: Buffer } | null {
  const m = FORMAT.exec(stored);
  if (!m) return null;
  const c = { ln: Number(m[1]), r: Number(m[2]), p: Number(m[3]) };
  try {
    checkCost(c);
  } catch {
    return null;
  }
  return { cost: c, salt: Buffer.from(m[4]!, 'base64'), key: Buffer.from(m[5]!, 'base64') };
}

/** Compares in constant time. A malformed stored value never matches. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parse(stored);
  if (!parsed || password.length > PASSWORD_MAX_LENGTH * 4) return false;
  const key = await derive(password, parsed.salt, parsed.cost);
  return key.length === parsed.key.length && timingSafeEqual(key, parsed.key);
}

/** True when the hash was made with a lower cost than new hashes get. */
export function needsRehash(stored: string): boolean {
  const parsed = parse(stored);
  if (!parsed) return true;
  const c = parsed.cost;
  return c.ln < cost.ln || c.r < cost.r || c.p < cost.p;
}

let dummy: Promise<string> | null = null;

/**
 * Spends the time of one verification when there is no hash to check (unknown login, no
 * password set), so the answer time does not tell which logins exist.
 */
export async function verifyAgainstNothing(password: string): Promise<false> {
  // A hash refused while the queue was full must not stay the answer for good.
  dummy ??= hashPassword('not the password of anyone').catch((err: unknown) => {
    dummy = null;
    throw err;
  });
  await verifyPassword(password, await dummy);
  return false;
}
