import type { UpstreamVersion } from '../../core/mirror-index.js';
import { compareVersions, parseVersion, type Version } from '../../core/semver.js';

/** What the prefetcher asks of the mirror's index. */
export interface PrefetchTarget {
  /** Whether the file is neither held fresh nor being fetched: only then is it worth a request. */
  wanted(name: string): boolean;
  /** Fetches the file as a read would (sharing a fetch in flight); its own failures are its own. */
  warm(name: string): Promise<unknown>;
}

export interface PrefetchLimits {
  /** Upstream requests of the prefetcher at once. */
  concurrency: number;
  /** Names waiting; beyond it, new names are dropped (a later miss asks for them again). */
  queued: number;
  /** How many of a crate's newest versions have their dependencies followed. */
  newest: number;
}

export const PREFETCH_LIMITS: PrefetchLimits = { concurrency: 8, queued: 1024, newest: 3 };

/**
 * The index files cargo will most likely ask for next, once it has a crate's file: the
 * dependencies (normal and build, every target, optional ones too; never dev-dependencies, which
 * cargo does not resolve for a dependency) of the crate's newest non-yanked versions, from the
 * same registry, lowercased as index paths are.
 */
export function likelyNext(versions: readonly UpstreamVersion[], newest: number): string[] {
  const ordered: Array<{ v: UpstreamVersion; num: Version }> = [];
  for (const v of versions) if (!v.yanked) ordered.push({ v, num: parseVersion(v.vers) });
  ordered.sort((a, b) => compareVersions(b.num, a.num));
  const names = new Set<string>();
  for (const { v } of ordered.slice(0, newest)) {
    for (const dep of v.deps) if (dep.kind !== 'dev' && dep.registry === null) names.add(dep.name.toLowerCase());
  }
  return [...names];
}

/**
 * A bounded in-memory work queue that fetches, in the background, the index files cargo is about
 * to ask for, so that its next wave of requests finds them cached. Cargo asks for index files one
 * after another, and each miss costs an upstream round trip; fetched ahead, they cost none.
 *
 * Bounded on every side: `concurrency` requests at once, `queued` names waiting (more are dropped),
 * each name once while it waits or runs. A fetch that fails is forgotten: it is logged by the
 * index like any upstream failure, and the next read of that file asks the upstream itself. The
 * queue lives in memory only: losing it on a restart loses nothing but a warm-up.
 */
export class MirrorPrefetch {
  private readonly waiting = new Set<string>();
  private readonly running = new Map<string, Promise<void>>();
  private stopped = false;
  /** Names dropped because the queue was full (for tests and the admin page's curiosity). */
  dropped = 0;

  constructor(
    private readonly target: PrefetchTarget,
    private readonly limits: PrefetchLimits = PREFETCH_LIMITS,
  ) {}

  /** Queues the files cargo will likely want after reading this crate's versions. */
  afterFetch(versions: readonly UpstreamVersion[]): void {
    if (this.stopped) return;
    for (const name of likelyNext(versions, this.limits.newest)) {
      this.add(name);
      this.pump();
    }
  }

  /** Resolves once nothing runs or waits (in tests, and on the way to `stop`). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all(this.running.values());
  }

  /** Drops what waits, takes no more, and waits for the fetches running (each bounded by the upstream timeout). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.waiting.clear();
    await this.idle();
  }

  get size(): { waiting: number; running: number } {
    return { waiting: this.waiting.size, running: this.running.size };
  }

  private add(name: string): void {
    if (this.waiting.has(name) || this.running.has(name) || !this.target.wanted(name)) return;
    if (this.waiting.size >= this.limits.queued) {
      this.dropped += 1;
      return;
    }
    this.waiting.add(name);
  }

  private pump(): void {
    while (!this.stopped && this.running.size < this.limits.concurrency && this.waiting.size > 0) {
      const name = this.waiting.values().next().value as string;
      this.waiting.delete(name);
      // A read may have fetched it while it waited.
      if (!this.target.wanted(name)) continue;
      const job = this.target.warm(name).then(
        () => undefined,
        () => undefined,
      );
      this.running.set(name, job);
      void job.then(() => {
        this.running.delete(name);
        this.pump();
      });
    }
  }
}
