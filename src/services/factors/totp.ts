import { Secret, TOTP } from 'otpauth';

/**
 * TOTP (RFC 6238) as authenticator apps do it: HMAC-SHA1, 6 digits, 30-second steps. Pure
 * functions over a base32 secret; the state (last step used) is kept by totp.service.ts.
 */
export const TOTP_PERIOD_SECONDS = 30;
export const TOTP_DIGITS = 6;
/** Steps either side of now whose codes are accepted (clock drift of the phone). */
export const TOTP_WINDOW = 1;

export interface TotpParams {
  secret: Secret;
  digits?: number;
  algorithm?: 'SHA1' | 'SHA256' | 'SHA512';
}

const totpOf = ({ secret, digits = TOTP_DIGITS, algorithm = 'SHA1' }: TotpParams) =>
  new TOTP({ secret, digits, algorithm, period: TOTP_PERIOD_SECONDS });

/** A fresh 160-bit secret, as base32 (what the user types into an app that cannot scan). */
export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

export const secretFromBase32 = (base32: string): Secret => Secret.fromBase32(base32);

export const stepAt = (timeMs: number): number => Math.floor(timeMs / 1000 / TOTP_PERIOD_SECONDS);

export function totpCode(params: TotpParams, timeMs: number): string {
  return totpOf(params).generate({ timestamp: timeMs });
}

/** The time step whose code `code` is (within the window around `timeMs`), or null. */
export function matchTotp(params: TotpParams, code: string, timeMs: number): number | null {
  const digits = params.digits ?? TOTP_DIGITS;
  if (!new RegExp(`^\\d{${digits}}$`).test(code)) return null;
  const delta = totpOf(params).validate({ token: code, timestamp: timeMs, window: TOTP_WINDOW });
  return delta === null ? null : stepAt(timeMs) + delta;
}

/** The otpauth:// URI an app scans: the registry as issuer, the login as account. */
export function totpUri(base32: string, issuer: string, account: string): string {
  return new TOTP({ issuer, label: account, secret: Secret.fromBase32(base32), digits: TOTP_DIGITS, period: TOTP_PERIOD_SECONDS, algorithm: 'SHA1' }).toString();
}

/** What a user typed: spaces and dashes apps show for readability are dropped. */
export const normalizeCode = (typed: string): string => typed.replace(/[\s-]/g, '');
