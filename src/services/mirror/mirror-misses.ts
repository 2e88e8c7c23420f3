import { AppError } from '../../core/errors.js';

/** About 100 bytes each (a name of 64 characters at most): 1 MB at most. */
const MAX_REMEMBERED = 10_000;
/** Index files of crates the mirror does not hold, asked of the upstream at once. */
const MAX_MISSES_IN_FLIGHT = 32;

/**
 * What the mirror learned of crates it does not hold: the upstream's 404, 410 or 451 is
 * remembered until a time (one TTL), so repeated reads of a name that does not exist do not each
 * reach the upstream; and how many such reads may be asking the upstream at once, so a flood of
 * made-up names costs the upstream a bounded number of requests.
 */
export class MirrorMisses {
  private readonly gone = new Map<string, { status: number; until: number }>();
  private inFlight = 0;

  constructor(
    private readonly maxRemembered = MAX_REMEMBERED,
    private readonly maxInFlight = MAX_MISSES_IN_FLIGHT,
  ) {}

  /** The upstream's refusal of `name` while it is remembered, else null. */
  recall(name: string, now: number): number | null {
    const known = this.gone.get(name);
    if (!known) return null;
    if (now < known.until) return known.status;
    this.gone.delete(name);
    return null;
  }

  remember(name: string, status: number, until: number): void {
    this.gone.delete(name);
    // Oldest first: a full map forgets what it learned longest ago.
    if (this.gone.size >= this.maxRemembered) this.gone.delete(this.gone.keys().next().value!);
    this.gone.set(name, { status, until });
  }

  /** Runs one upstream request for a crate not held, or refuses it (503) while too many run. */
  async limit<T>(upstream: string, work: () => Promise<T>): Promise<T> {
    if (this.inFlight >= this.maxInFlight) {
      throw new AppError('unavailable', `the mirror is already asking its upstream ${upstream} for ${this.maxInFlight} crates it does not hold; try again shortly`, { 'retry-after': '1' });
    }
    this.inFlight += 1;
    try {
      return await work();
    } finally {
      this.inFlight -= 1;
    }
  }
}
