import { createHash, randomInt } from 'node:crypto';
import type { Db } from '../../db/create-db.js';
import { countUnusedRecoveryCodes, replaceRecoveryCodes } from '../../db/repositories/factor.repository.js';

/**
 * Recovery codes: ten single-use codes of 16 characters (80 bits) from an alphabet without look-alike
 * characters, shown once as `xxxx-xxxx-xxxx-xxxx`. Only their SHA-256 is stored: with 80 random
 * bits a fast hash is enough, as for API tokens.
 */
export const RECOVERY_CODE_COUNT = 10;
const ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';
const LENGTH = 16;

export function newRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    let code = '';
    // 31 symbols: log2(31) * 16 ≈ 79 bits.
    for (let i = 0; i < LENGTH; i++) code += ALPHABET[randomInt(ALPHABET.length)];
    return code.match(/.{4}/g)!.join('-');
  });
}

/** The typed code as stored: lowercase, without spaces and dashes; null when it cannot be one. */
export function canonicalRecoveryCode(typed: string): string | null {
  const code = typed.toLowerCase().replace(/[\s-]/g, '');
  return code.length === LENGTH && [...code].every((c) => ALPHABET.includes(c)) ? code : null;
}

export const hashRecoveryCode = (canonical: string): string => createHash('sha256').update(`recovery:${canonical}`, 'utf8').digest('hex');

/** Replaces the user's codes with ten new ones, returned to be shown once. */
export async function storeNewRecoveryCodes(db: Db, userId: number, now: string): Promise<string[]> {
  const codes = newRecoveryCodes();
  await replaceRecoveryCodes(db, userId, codes.map((c) => hashRecoveryCode(canonicalRecoveryCode(c)!)), now);
  return codes;
}

/** New codes with a first factor: when the user has no unused code; null otherwise (the old ones stay). */
export async function recoveryCodesIfNone(db: Db, userId: number, now: string): Promise<string[] | null> {
  return (await countUnusedRecoveryCodes(db, userId)) === 0 ? storeNewRecoveryCodes(db, userId, now) : null;
}
