/**
 * Publish rate limits as written in the configuration: `"1 per 10 minutes, burst 5"` or `"off"`.
 * Each limit is a token bucket: a user may do `burst` actions at once, and gets one more every
 * `intervalMs` (here 10 minutes / 1) up to `burst` again.
 */
export interface RateLimit {
  readonly burst: number;
  /** Time to earn back one action. */
  readonly intervalMs: number;
  /** The setting in a canonical form, for error details and logs. */
  readonly text: string;
}

export interface PublishRateLimits {
  readonly newCrates: RateLimit | null;
  readonly newVersions: RateLimit | null;
  readonly yanks: RateLimit | null;
}

/**
 * `default` lets a workspace of hundreds of crates and a bulk import through and only stops a
 * runaway script; `crates-io` has crates.io's numbers for new crates and new versions (yanks
 * share the new-version limit), for public instances; `off` disables the limits.
 */
export const RATE_LIMIT_PRESETS: Readonly<Record<string, Readonly<Record<keyof PublishRateLimits, string>>>> = {
  default: { newCrates: '10 per second, burst 1000', newVersions: '30 per second, burst 1000', yanks: '30 per second, burst 1000' },
  'crates-io': { newCrates: '1 per 10 minutes, burst 5', newVersions: '1 per minute, burst 30', yanks: '1 per minute, burst 30' },
  off: { newCrates: 'off', newVersions: 'off', yanks: 'off' },
};

const UNITS: Record<string, [number, string]> = { s: [1000, 'second'], m: [60_000, 'minute'], h: [3_600_000, 'hour'] };
const SHAPE = /^(\d+)\s+per\s+(?:(\d+)\s*)?(seconds?|secs?|s|minutes?|mins?|m|hours?|h)\s*(?:,\s*burst\s+(\d+))?$/;

/** Parses `"<n> per [<k>] <second|minute|hour>[, burst <b>]"` (burst defaults to n) or `"off"`; null means unlimited. */
export function parseRateLimit(value: unknown): RateLimit | null {
  const text = typeof value === 'string' ? value.trim().toLowerCase() : '';
  if (text === 'off' || text === 'unlimited') return null;
  const m = SHAPE.exec(text);
  const unit = m ? UNITS[m[3]![0]!] : undefined;
  if (!m || unit === undefined) {
    throw new Error(`must look like "1 per 10 minutes, burst 5", "30 per second" or "off", got \`${String(value)}\``);
  }
  const count = Number(m[1]);
  const periods = m[2] === undefined ? 1 : Number(m[2]);
  const burst = m[4] === undefined ? count : Number(m[4]);
  if (count < 1 || periods < 1 || burst < 1 || burst > 1_000_000 || count > 1_000_000) {
    throw new Error(`needs counts from 1 to 1000000, got \`${String(value)}\``);
  }
  const [unitMs, unitName] = unit;
  const period = periods === 1 ? unitName : `${periods} ${unitName}s`;
  return { burst, intervalMs: (periods * unitMs) / count, text: `${count} per ${period}, burst ${burst}` };
}

export function parsePreset(value: unknown): string {
  if (typeof value !== 'string' || !Object.hasOwn(RATE_LIMIT_PRESETS, value)) {
    throw new Error(`must be one of ${Object.keys(RATE_LIMIT_PRESETS).join(', ')}, got \`${String(value)}\``);
  }
  return value;
}

/** The preset's value for one limit, for settings left unset. */
export function presetLimit(preset: string | undefined, which: keyof PublishRateLimits): RateLimit | null {
  return parseRateLimit((RATE_LIMIT_PRESETS[preset ?? 'default'] ?? RATE_LIMIT_PRESETS.default!)[which]);
}
