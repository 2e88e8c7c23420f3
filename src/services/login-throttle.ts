import { createHash } from 'node:crypto';
import { clientNetwork } from '../core/client-network.js';
import type { Clock } from './context.js';
import { rateLimited, waitText } from './rate-limiter.js';
import { SharedRecords, SharedWindow } from './shared-state/shared-limits.js';
import type { SharedStore } from './shared-state/shared-store.js';

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
  succeeded(): Promise<void>;
  failed(): Promise<void>;
  /** The check never ran to an answer (the server was busy): nothing is held against anyone. */
  abandoned(): Promise<void>;
}

interface PairState {
  failures: number;
  lastFailure: number;
}

const isPairState = (v: unknown): v is PairState =>
  typeof v === 'object' && v !== null && typeof (v as PairState).failures === 'number' && typeof (v as PairState).lastFailure === 'number';
const isTime = (v: unknown): v is number => typeof v === 'number';

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
 * The counts live in the `SharedStore` (the database, or Redis), so every instance of the
 * registry counts together; each is kept only as long as it matters (its window, a day for a
 * pair's failures, 30 days for a known network), and every key is bounded in size. Only the
 * checks in flight are this process's own: they bound its hashing, which is its own too.
 */
export class LoginThrottle {
  private readonly pairs: SharedRecords<PairState>;
  private readonly addressFailures: SharedWindow;
  private readonly addressChecks: SharedWindow;
  private readonly accountSuccesses: SharedWindow;
  private readonly accountFailures: SharedWindow;
  /** When each account and network last signed in. */
  private readonly knownNetworks: SharedRecords<number>;
  private readonly inFlight = new Map<string, number>();

  constructor(
    store: SharedStore,
    private readonly clock: Clock,
    private readonly limits: LoginLimits = DEFAULT_LOGIN_LIMITS,
    /** Keeps this throttle's counts apart from another's (password checks, second-factor codes). */
    name = 'password',
  ) {
    const window = (what: string, limit: number, windowMs: number) => new SharedWindow(store, clock, `${name}:${what}`, limit, windowMs);
    this.pairs = new SharedRecords(store, clock, `${name}:pair`, isPairState);
    this.knownNetworks = new SharedRecords(store, clock, `${name}:known`, isTime);
    this.addressFailures = window('address-failures', limits.failuresPerAddress, limits.windowMs);
    this.addressChecks = window('address-checks', limits.checksPerAddress, limits.windowMs);
    this.accountSuccesses = window('account-successes', limits.successesPerAccount, limits.windowMs);
    this.accountFailures = window('account-failures', limits.failuresPerAccount, limits.accountWindowMs);
  }

  /**
   * Throws 429 with Retry-After when a limit holds this check back; otherwise counts it (before
   * the password is checked, so parallel guesses cannot slip past) and returns it to be settled.
   */
  async begin(login: string, clientAddress: string): Promise<LoginAttempt> {
    const account = accountKey(login);
    // Every per-address count is kept per network: an IPv6 host holds a whole /64.
    const address = clientNetwork(clientAddress);
    const pair = `${account}\n${address}`;
    if ((this.inFlight.get(address) ?? 0) >= this.limits.inFlightPerAddress) {
      throw rateLimited('a sign-in from your address is already being checked; try again in a moment', 1);
    }
    // Held from here, so checks that start while this one waits for the store count it.
    this.inFlight.set(address, (this.inFlight.get(address) ?? 0) + 1);
    let settled = false;
    const settle = async (then: () => Promise<unknown>) => {
      if (settled) return;
      settled = true;
      const left = (this.inFlight.get(address) ?? 1) - 1;
      if (left > 0) this.inFlight.set(address, left);
      else this.inFlight.delete(address);
      await then();
    };
    try {
      await this.count(account, address, pair);
    } catch (err) {
      await settle(async () => undefined);
      throw err;
    }
    return {
      succeeded: () =>
        settle(() =>
          Promise.all([
            this.pairs.delete(pair),
            this.addressFailures.forgive(address),
            this.accountFailures.forgive(account),
            this.accountSuccesses.hit(account),
            this.knownNetworks.set(pair, this.clock.now().getTime(), this.limits.rememberNetworkMs),
          ]),
        ),
      failed: () =>
        settle(() =>
          this.pairs.update(pair, this.limits.forgetAfterMs, (state, now) => ({ value: { failures: (state?.failures ?? 0) + 1, lastFailure: now }, result: undefined })),
        ),
      abandoned: () =>
        settle(() => Promise.all([this.addressFailures.forgive(address), this.addressChecks.forgive(address), this.accountFailures.forgive(account)])),
    };
  }

  /** Runs one password check under the limits; `check` resolves whether the password was right. */
  async check(login: string, address: string, check: () => Promise<boolean>): Promise<boolean> {
    const attempt = await this.begin(login, address);
    let ok: boolean;
    try {
      ok = await check();
    } catch (err) {
      await attempt.abandoned();
      throw err;
    }
    if (ok) await attempt.succeeded();
    else await attempt.failed();
    return ok;
  }

  /**
   * Checks every limit in order and counts the attempt against those it counts in, each check
   * and count one atomic step; a later refusal takes back the counts made before it.
   */
  private async count(account: string, address: string, pair: string): Promise<void> {
    const byPair = this.pairWait(await this.pairs.get(pair));
    if (byPair > 0) {
      throw rateLimited(`too many failed sign-ins to this account from your address; try again in ${waitText(byPair)}`, byPair);
    }
    const undo: Array<() => Promise<void>> = [];
    const refuse = async (detail: string, wait: number): Promise<never> => {
      for (const step of undo) await step();
      throw rateLimited(detail, wait);
    };
    const byAddress = await this.addressFailures.take(address);
    if (byAddress > 0) await refuse(`too many failed sign-ins from your address; try again in ${waitText(byAddress)}`, byAddress);
    undo.push(() => this.addressFailures.forgive(address));
    const byChecks = await this.addressChecks.take(address);
    if (byChecks > 0) await refuse(`too many sign-ins from your address; try again in ${waitText(byChecks)}`, byChecks);
    undo.push(() => this.addressChecks.forgive(address));
    const byAccount = await this.accountSuccesses.retryAfter(account);
    if (byAccount > 0) await refuse(`too many sign-ins to this account; try again in ${waitText(byAccount)}`, byAccount);
    if ((await this.knownNetworks.get(pair)) !== null) {
      await this.accountFailures.hit(account);
      return;
    }
    const bySpray = await this.accountFailures.take(account);
    if (bySpray > 0) {
      await refuse(
        `too many failed sign-ins to this account from many addresses; try again in ${waitText(bySpray)}, or from a network that signed in to it before`,
        bySpray,
      );
    }
  }

  /** Seconds until the pair may try again, or 0. */
  private pairWait(state: PairState | null): number {
    if (!state) return 0;
    const over = state.failures - this.limits.freeFailures;
    if (over < 0) return 0;
    const delay = Math.min(this.limits.maxDelayMs, this.limits.firstDelayMs * 2 ** Math.min(over, 30));
    const left = state.lastFailure + delay - this.clock.now().getTime();
    return left > 0 ? Math.ceil(left / 1000) : 0;
  }
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
