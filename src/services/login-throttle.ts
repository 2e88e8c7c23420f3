import { createHash } from 'node:crypto';
import { clientNetwork } from '../core/client-network.js';
import type { Clock } from './context.js';
import { rateLimited, SlidingWindowLimiter, waitText } from './rate-limiter.js';

export interface LoginLimits {
  /** Failures of one account from one address that cost nothing; each further one doubles the wait. */
  freeFailures: number;
  firstDelayMs: number;
  maxDelayMs: number;
  /** A pair of account and address with no failure for this long starts again from zero. */
  forgetAfterMs: number;
  /** Failures from one address, whatever the account (password spraying). */
  failuresPerAddress: number;
  /** Password checks from one address, successes included (each one costs a scrypt hash). */
  checksPerAddress: number;
  /** Successful checks of one account: only someone who knows the password can use these up. */
  successesPerAccount: number;
  windowMs: number;
  /** Checks of one address that may run at once; more are refused at once, not queued. */
  inFlightPerAddress: number;
  /**
   * Failures of one account from all addresses together in `accountWindowMs` (a spray from many
   * networks); beyond them the account is checked only from networks it signed in from lately.
   */
  failuresPerAccount: number;
  accountWindowMs: number;
  /** How long a network that signed in to an account stays exempt from that account's ceiling. */
  rememberNetworkMs: number;
}

export const DEFAULT_LOGIN_LIMITS: LoginLimits = {
  freeFailures: 3,
  firstDelayMs: 2_000,
  maxDelayMs: 15 * 60_000,
  forgetAfterMs: 24 * 3600_000,
  failuresPerAddress: 20,
  checksPerAddress: 60,
  successesPerAccount: 10,
  windowMs: 15 * 60_000,
  inFlightPerAddress: 2,
  failuresPerAccount: 100,
  accountWindowMs: 60 * 60_000,
  rememberNetworkMs: 30 * 24 * 3600_000,
};

/** One password check under way; exactly one of its three ends is called. */
export interface LoginAttempt {
  succeeded(): void;
  failed(): void;
  /** The check never ran to an answer (the server was busy): nothing is held against anyone. */
  abandoned(): void;
}

interface PairState {
  failures: number;
  lastFailure: number;
}

/**
 * The limits on password checks (sign-in, the current password of a change, re-authentication).
 * Failures are held against the account and the client address together, with delays that grow
 * (2 s, 4 s, 8 s ... up to 15 minutes) rather than a lock: a stranger guessing from elsewhere
 * never keeps the owner out of their own address. The per-address limits stop one client from
 * spraying guesses over many accounts or taking more than its share of the hashing. "Address"
 * means the client's network (`clientNetwork`: an IPv4 address, or an IPv6 /64).
 *
 * Against a spray of one account from many networks, the account's failures from everywhere have
 * a ceiling; past it only networks that signed in to the account lately may try, so the owner
 * keeps signing in from home while a botnet is held off.
 *
 * Every map is bounded by entries (the least recently used go first) and every key by size; the
 * checks in flight are bounded by the requests under way.
 */
export class LoginThrottle {
  private readonly pairs = new Map<string, PairState>();
  private readonly addressFailures: SlidingWindowLimiter;
  private readonly addressChecks: SlidingWindowLimiter;
  private readonly accountSuccesses: SlidingWindowLimiter;
  private readonly accountFailures: SlidingWindowLimiter;
  /** When each account and network last signed in, least recent first. */
  private readonly knownNetworks = new Map<string, number>();
  private readonly inFlight = new Map<string, number>();

  constructor(
    private readonly clock: Clock,
    private readonly limits: LoginLimits = DEFAULT_LOGIN_LIMITS,
    /** The most keys any one map holds. */
    private readonly maxEntries = 50_000,
  ) {
    this.addressFailures = new SlidingWindowLimiter(limits.failuresPerAddress, limits.windowMs, clock, maxEntries);
    this.addressChecks = new SlidingWindowLimiter(limits.checksPerAddress, limits.windowMs, clock, maxEntries);
    this.accountSuccesses = new SlidingWindowLimiter(limits.successesPerAccount, limits.windowMs, clock, maxEntries);
    this.accountFailures = new SlidingWindowLimiter(limits.failuresPerAccount, limits.accountWindowMs, clock, maxEntries);
  }

  /**
   * Throws 429 with Retry-After when a limit holds this check back; otherwise counts it (before
   * the password is checked, so parallel guesses cannot slip past) and returns it to be settled.
   */
  begin(login: string, clientAddress: string): LoginAttempt {
    const account = accountKey(login);
    // Every per-address count is kept per network: an IPv6 host holds a whole /64.
    const address = clientNetwork(clientAddress);
    const pair = `${account}\n${address}`;
    if ((this.inFlight.get(address) ?? 0) >= this.limits.inFlightPerAddress) {
      throw rateLimited('a sign-in from your address is already being checked; try again in a moment', 1);
    }
    const byPair = this.pairWait(pair);
    if (byPair > 0) {
      throw rateLimited(`too many failed sign-ins to this account from your address; try again in ${waitText(byPair)}`, byPair);
    }
    const byAddress = this.addressFailures.retryAfter(address);
    if (byAddress > 0) throw rateLimited(`too many failed sign-ins from your address; try again in ${waitText(byAddress)}`, byAddress);
    const byChecks = this.addressChecks.retryAfter(address);
    if (byChecks > 0) throw rateLimited(`too many sign-ins from your address; try again in ${waitText(byChecks)}`, byChecks);
    const byAccount = this.accountSuccesses.retryAfter(account);
    if (byAccount > 0) throw rateLimited(`too many sign-ins to this account; try again in ${waitText(byAccount)}`, byAccount);
    const bySpray = this.isKnown(pair) ? 0 : this.accountFailures.retryAfter(account);
    if (bySpray > 0) {
      throw rateLimited(
        `too many failed sign-ins to this account from many addresses; try again in ${waitText(bySpray)}, or from a network that signed in to it before`,
        bySpray,
      );
    }

    this.addressFailures.hit(address);
    this.accountFailures.hit(account);
    this.addressChecks.hit(address);
    this.inFlight.set(address, (this.inFlight.get(address) ?? 0) + 1);
    let settled = false;
    const settle = (then: () => void) => {
      if (settled) return;
      settled = true;
      const left = (this.inFlight.get(address) ?? 1) - 1;
      if (left > 0) this.inFlight.set(address, left);
      else this.inFlight.delete(address);
      then();
    };
    return {
      succeeded: () =>
        settle(() => {
          this.pairs.delete(pair);
          this.addressFailures.forgive(address);
          this.accountFailures.forgive(account);
          this.accountSuccesses.hit(account);
          this.remember(pair);
        }),
      failed: () => settle(() => this.recordFailure(pair)),
      abandoned: () =>
        settle(() => {
          this.addressFailures.forgive(address);
          this.addressChecks.forgive(address);
          this.accountFailures.forgive(account);
        }),
    };
  }

  /** Runs one password check under the limits; `check` resolves whether the password was right. */
  async check(login: string, address: string, check: () => Promise<boolean>): Promise<boolean> {
    const attempt = this.begin(login, address);
    let ok: boolean;
    try {
      ok = await check();
    } catch (err) {
      attempt.abandoned();
      throw err;
    }
    if (ok) attempt.succeeded();
    else attempt.failed();
    return ok;
  }

  /** Characters held in the keys of the per-pair state and of the known networks. */
  heldKeyChars(): number {
    let total = 0;
    for (const key of [...this.pairs.keys(), ...this.knownNetworks.keys()]) total += key.length;
    return total;
  }

  /** How many keys each map holds (each at most `maxEntries`). */
  heldEntries(): Record<string, number> {
    return {
      pairs: this.pairs.size,
      knownNetworks: this.knownNetworks.size,
      inFlight: this.inFlight.size,
      addressFailures: this.addressFailures.size,
      addressChecks: this.addressChecks.size,
      accountSuccesses: this.accountSuccesses.size,
      accountFailures: this.accountFailures.size,
    };
  }

  /** Whether this account signed in from this network within `rememberNetworkMs`. */
  private isKnown(pair: string): boolean {
    const at = this.knownNetworks.get(pair);
    if (at === undefined) return false;
    if (this.clock.now().getTime() - at <= this.limits.rememberNetworkMs) return true;
    this.knownNetworks.delete(pair);
    return false;
  }

  private remember(pair: string): void {
    this.knownNetworks.delete(pair);
    this.knownNetworks.set(pair, this.clock.now().getTime());
    dropOldest(this.knownNetworks, this.maxEntries);
  }

  /** Seconds until the pair may try again, or 0. */
  private pairWait(pair: string): number {
    const state = this.pairs.get(pair);
    if (!state) return 0;
    const now = this.clock.now().getTime();
    if (now - state.lastFailure > this.limits.forgetAfterMs) {
      this.pairs.delete(pair);
      return 0;
    }
    const over = state.failures - this.limits.freeFailures;
    if (over < 0) return 0;
    const delay = Math.min(this.limits.maxDelayMs, this.limits.firstDelayMs * 2 ** Math.min(over, 30));
    const left = state.lastFailure + delay - now;
    return left > 0 ? Math.ceil(left / 1000) : 0;
  }

  private recordFailure(pair: string): void {
    const failures = (this.pairs.get(pair)?.failures ?? 0) + 1;
    // Re-inserted so the map runs from least to most recently failed; the stalest go first.
    this.pairs.delete(pair);
    this.pairs.set(pair, { failures, lastFailure: this.clock.now().getTime() });
    dropOldest(this.pairs, this.maxEntries);
  }
}

/** Forgets the first-inserted keys of a map kept in order of use until it holds at most `max`. */
function dropOldest(map: Map<string, unknown>, max: number): void {
  while (map.size > max) map.delete(map.keys().next().value!);
}

/**
 * The key an account's counts are kept under: the login as compared (trimmed, lowercased), or, for
 * a typed login too long to name any account, its SHA-256, so a 64 KiB form field costs no more
 * memory than a real login.
 */
function accountKey(login: string): string {
  const account = login.trim().toLowerCase();
  return account.length <= 64 ? account : `sha256:${createHash('sha256').update(account).digest('hex')}`;
}
