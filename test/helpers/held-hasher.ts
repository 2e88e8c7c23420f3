import { scrypt } from 'node:crypto';
import { hashQueue, type KeyDerivation, setKeyDerivation } from '../../src/services/password.service.js';

/**
 * Puts a hasher in place of scrypt that holds every hash until the test lets it go, so what
 * happens while hashes queue is tested by counting, not by timing.
 */
export class HeldHasher {
  /** Hashes that have started, oldest first: the password each was for. */
  readonly started: string[] = [];
  private readonly held: Array<() => void> = [];
  private readonly watchers: Array<{ count: number; resolve: () => void }> = [];

  install(): this {
    const derive: KeyDerivation = (password, salt, keyLength, options) =>
      new Promise<void>((release) => {
        this.started.push(password);
        this.held.push(release);
        for (const w of this.watchers.filter((x) => this.started.length >= x.count)) w.resolve();
      }).then(() => new Promise<Buffer>((resolve, reject) => scrypt(password, salt, keyLength, options, (err, key) => (err ? reject(err) : resolve(key)))));
    setKeyDerivation(derive);
    return this;
  }

  uninstall(): void {
    this.releaseAll();
    setKeyDerivation(null);
  }

  /** Resolves once `count` hashes have started. */
  whenStarted(count: number): Promise<void> {
    if (this.started.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.watchers.push({ count, resolve }));
  }

  /** Lets the oldest held hash finish. */
  releaseOne(): void {
    this.held.shift()?.();
  }

  releaseAll(): void {
    while (this.held.length > 0) this.releaseOne();
  }
}

/** Lets pending callbacks run: `turns` rounds of the event loop, a count rather than a time. */
export async function settle(turns = 50): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** Waits one turn of the event loop at a time, at most `turns` of them, until `done()` holds. */
export async function until(done: () => boolean, what: string, turns = 100_000): Promise<void> {
  for (let i = 0; i < turns; i++) {
    if (done()) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error(`still not so after ${turns} turns: ${what}`);
}

/** Waits until `waiting` hashes wait for a slot. */
export const untilWaiting = (waiting: number): Promise<void> => until(() => hashQueue().waiting >= waiting, `${waiting} hashes waiting`);
