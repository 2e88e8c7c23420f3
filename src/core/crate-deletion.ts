/** Who may delete a crate (the `crate_deletion` setting). */
export const CRATE_DELETION_POLICIES = ['rfc3660', 'owners', 'admins'] as const;
export type CrateDeletionPolicy = (typeof CRATE_DELETION_POLICIES)[number];

/** The settings that decide when an owner may delete a crate. */
export interface DeletionRule {
  policy: CrateDeletionPolicy;
  graceHours: number;
  monthlyDownloads: number;
}

/** What the rule reads about a crate at the moment of the request. */
export interface DeletionFacts {
  /** Milliseconds since the crate's first publish. */
  ageMs: number;
  owners: number;
  downloads: number;
  /** `name@version` of one version of another crate that depends on this one; null when none does. */
  dependent: string | null;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/**
 * The downloads a crate of this age may have and still be deleted: the monthly allowance for every
 * started 30-day month of whole days (crates.io's arithmetic; a crate 3 days old counts one month).
 */
export function downloadAllowance(ageMs: number, monthlyDownloads: number): number {
  const months = Math.ceil(Math.floor(Math.max(0, ageMs) / DAY_MS) / 30);
  return monthlyDownloads * months;
}

/**
 * Why an owner may not delete the crate, or null when they may. Administrators are not asked:
 * they may delete any crate. Under every policy that lets owners delete, a crate another crate
 * depends on stays, because removing it would break that crate's builds and rewrite history.
 */
export function ownerDeletionRefusal(rule: DeletionRule, facts: DeletionFacts): string | null {
  if (rule.policy === 'admins') return 'on this registry only administrators may delete crates';
  if (rule.policy === 'rfc3660' && facts.ageMs > rule.graceHours * HOUR_MS) {
    const late = `after ${rule.graceHours} hours`;
    if (facts.owners > 1) return `only crates with a single owner can be deleted ${late}`;
    const allowed = downloadAllowance(facts.ageMs, rule.monthlyDownloads);
    if (facts.downloads > allowed) {
      return `only crates with at most ${rule.monthlyDownloads} downloads per month of their life can be deleted ${late} (this one has ${facts.downloads}, at most ${allowed} allowed)`;
    }
  }
  if (facts.dependent) return `only crates no other crate depends on can be deleted (${facts.dependent} depends on this crate)`;
  return null;
}
