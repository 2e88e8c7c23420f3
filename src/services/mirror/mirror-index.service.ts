import { indexPath } from '../../core/index-line.js';
import { AppError, notFound, operatorDetail } from '../../core/errors.js';
import { isMirrorableName, parseUpstreamIndex, summarizeUpstreamIndex } from '../../core/mirror-index.js';
import { confirmMirrorIndexFile, findMirrorIndexFile, type MirrorIndexRow, saveMirrorIndexFile } from '../../db/repositories/mirror.repository.js';
import type { ServiceContext } from '../context.js';
import { type IndexEntry, prepareIndexEntry } from '../index.service.js';
import type { MirrorActivity } from './mirror-activity.js';
import { MirrorMisses } from './mirror-misses.js';
import { MirrorPrefetch } from './mirror-prefetch.js';
import type { UpstreamClient } from './upstream-client.js';

/** A mirrored index file as served, and what the route should say or log about its freshness. */
export interface MirrorIndexAnswer {
  entry: IndexEntry;
  /** Set when the upstream could not be asked: seconds since it last confirmed the file. */
  staleSeconds: number | null;
  /** Why the file is stale, or the upstream's refusal of a file still served (for the log). */
  warning: string | null;
}

interface Held {
  entry: IndexEntry;
  /** When the upstream last confirmed the file (ms). */
  checkedAt: number;
  /** Not asked again (by this instance) before this time (ms). */
  nextCheck: number;
  /** Why the last revalidation failed (the file is stale), or the upstream's refusal. */
  warning: string | null;
  stale: boolean;
  size: number;
}

type Starter = 'read' | 'prefetch' | 'retry';

/** Memory for prepared mirrored files, beyond which the oldest are dropped (the database keeps them). */
const HELD_BYTES = 32 * 1024 * 1024;
/**
 * A read of a cached file waits this long (or half the upstream timeout, if shorter) for its
 * revalidation at most; past it the cached file is served as stale and the revalidation finishes
 * in the background, so a slow upstream never holds cargo for the whole upstream timeout.
 */
const STALE_WAIT_MS = 3000;

/**
 * The mirror's index files: fetched from the upstream on first read, kept in the database (every
 * instance shares them) with the upstream's validators, and revalidated at most once per
 * `mirror_index_ttl` with a conditional request. The upstream's bytes are stored and served as
 * sent, after checking they are an index file of that crate. Concurrent reads that need the
 * upstream share one request.
 */
export class MirrorIndex {
  private readonly held = new Map<string, Held>();
  private heldBytes = 0;
  private readonly inflight = new Map<string, Promise<MirrorIndexAnswer>>();
  private readonly misses = new MirrorMisses();
  /** Fetches started by the prefetcher, not by a read. */
  private readonly prefetching = new WeakSet<Promise<MirrorIndexAnswer>>();
  /** Fetches the dependencies' files of each file fetched; null offline, or when not serving. */
  readonly prefetch: MirrorPrefetch | null;

  constructor(
    private readonly ctx: ServiceContext,
    /** null: offline, only the cache is served. */
    private readonly upstream: UpstreamClient | null,
    private readonly activity: MirrorActivity,
    options: { prefetch: boolean } = { prefetch: false },
  ) {
    this.prefetch = upstream && options.prefetch ? new MirrorPrefetch({ wanted: (name) => this.wanted(name), warm: (name) => this.warm(name) }) : null;
  }

  private get ttlMs(): number {
    return this.ctx.config.mirrorIndexTtl * 1000;
  }

  /** The file of the crate whose lowercased name is `name`; AppError (404, 502, 504) otherwise. */
  async get(name: string): Promise<MirrorIndexAnswer> {
    if (!isMirrorableName(name)) throw notFound(`\`${name}\` is not a crate name`);
    const now = this.ctx.clock.now().getTime();
    const held = this.held.get(name);
    if (held && now < held.nextCheck) {
      this.activity.indexRead(true);
      return this.answer(held);
    }
    const gone = held || !this.upstream ? null : this.misses.recall(name, now);
    if (gone !== null && this.upstream) throw notUpstream(name, this.upstream, gone);
    let job = this.inflight.get(name);
    if (job && this.prefetching.has(job)) {
      // The prefetcher's fetch is shared, but never its failure: the read then asks for itself
      // (once, and counted once: here).
      this.activity.indexRead(false);
      job = job.catch(() => this.inflight.get(name) ?? this.start(name, 'retry'));
    }
    job ??= this.start(name, 'read');
    if (!held || this.upstream === null) return job;
    // A revalidation of a file this instance holds: a slow upstream gets the stale copy served.
    job.catch(() => undefined);
    const wait = Math.min(STALE_WAIT_MS, this.ctx.config.mirrorTimeoutMs / 2);
    let timer: NodeJS.Timeout | undefined;
    const stale = new Promise<MirrorIndexAnswer>((resolve) => {
      const warning = `the mirror's upstream has not answered the revalidation of \`${name}\` within ${wait} ms`;
      timer = setTimeout(() => resolve(this.answer({ ...held, stale: true, warning })), wait);
    });
    return Promise.race([job, stale]).finally(() => clearTimeout(timer));
  }

  /** A fetch shared by every read of `name` until it ends; `by` a read (counted), the prefetcher, or a read's retry. */
  private start(name: string, by: Starter): Promise<MirrorIndexAnswer> {
    const job = this.refresh(name, by).finally(() => {
      if (this.inflight.get(name) === job) this.inflight.delete(name);
    });
    if (by === 'prefetch') this.prefetching.add(job);
    this.inflight.set(name, job);
    return job;
  }

  /** Whether a prefetch of `name` would do anything: not held fresh, not being fetched. */
  private wanted(name: string): boolean {
    if (!isMirrorableName(name) || this.inflight.has(name)) return false;
    const held = this.held.get(name);
    return !held || this.ctx.clock.now().getTime() >= held.nextCheck;
  }

  /** The prefetcher's fetch: a read's, uncounted in the hit rate. */
  private warm(name: string): Promise<MirrorIndexAnswer> {
    return this.inflight.get(name) ?? this.start(name, 'prefetch');
  }

  /**
   * The prepared file when this instance holds it, due no check and not stale, for the fast path;
   * never asks the database or the upstream.
   */
  peek(name: string): IndexEntry | undefined {
    const held = this.held.get(name);
    if (!held || held.stale || held.warning !== null || this.ctx.clock.now().getTime() >= held.nextCheck) return undefined;
    this.activity.indexRead(true);
    return held.entry;
  }

  /** Forgets what this instance holds of `name` (after `wharf mirror remove` here, or in tests). */
  forget(name: string): void {
    const held = this.held.get(name);
    if (!held) return;
    this.heldBytes -= held.size;
    this.held.delete(name);
  }

  private async refresh(name: string, by: Starter): Promise<MirrorIndexAnswer> {
    const row = await findMirrorIndexFile(this.ctx.db, name);
    const now = this.ctx.clock.now();
    const fromCache = row !== undefined && (this.upstream === null || now.getTime() - Date.parse(row.checked_at) < this.ttlMs);
    if (by === 'read') this.activity.indexRead(fromCache);
    if (row && this.upstream === null) {
      // Offline: the database is read again after a TTL, for what `wharf mirror import` loaded.
      return this.hold(name, row, { nextCheck: now.getTime() + this.ttlMs });
    }
    if (row && now.getTime() - Date.parse(row.checked_at) < this.ttlMs) {
      // Another instance confirmed the file within the TTL.
      return this.hold(name, row, { nextCheck: Date.parse(row.checked_at) + this.ttlMs });
    }
    if (this.upstream === null) {
      throw notFound(`crate \`${name}\` is not in the mirror's cache, and this Wharf is offline (mirror_offline = true): it never asks the upstream`);
    }
    const upstream = this.upstream;
    try {
      const ask = () => upstream.indexFile(indexPath(name), row ? { etag: row.upstream_etag, lastModified: row.upstream_last_modified } : null);
      const result = await (row ? ask() : this.misses.limit(upstream.indexUrl, ask));
      const checkedAt = now.toISOString();
      if (result.kind === 'not-modified' && row) {
        await confirmMirrorIndexFile(this.ctx.db, name, { checked_at: checkedAt, upstream_status: null });
        return this.hold(name, row, { checkedAt: now.getTime(), nextCheck: now.getTime() + this.ttlMs });
      }
      if (result.kind === 'gone') {
        if (!row) {
          this.misses.remember(name, result.status, now.getTime() + this.ttlMs);
          throw notUpstream(name, upstream, result.status);
        }
        // Vanished upstream: the cached file stays served until an admin removes it.
        await confirmMirrorIndexFile(this.ctx.db, name, { checked_at: checkedAt, upstream_status: result.status });
        // Said (and logged) by this revalidation's answer only; later reads serve the file quietly.
        const warning = `the upstream ${upstream.indexUrl} answered ${result.status} for \`${name}\`; the cached file is still served`;
        return { ...(await this.hold(name, row, { checkedAt: now.getTime(), nextCheck: now.getTime() + this.ttlMs })), warning };
      }
      if (result.kind !== 'fresh') throw new AppError('bad_gateway', `the mirror's upstream ${upstream.indexUrl} answered 304 to an unconditional request for \`${name}\``);
      let lines;
      try {
        lines = parseUpstreamIndex(result.body, name);
      } catch (err) {
        throw new AppError('bad_gateway', `the mirror's upstream ${upstream.indexUrl} sent an invalid index file for \`${name}\`: ${(err as Error).message}`);
      }
      const body = result.body.toString('utf8');
      const saved: MirrorIndexRow = {
        name,
        body,
        upstream_etag: result.etag,
        upstream_last_modified: result.lastModified,
        upstream_status: null,
        checked_at: checkedAt,
        changed_at: row && row.body === body ? row.changed_at : checkedAt,
        ...summarizeUpstreamIndex(lines),
      };
      await saveMirrorIndexFile(this.ctx.db, saved);
      const answer = await this.hold(name, saved, { nextCheck: now.getTime() + this.ttlMs });
      // A new file: cargo's next requests will be its dependencies' files.
      this.prefetch?.afterFetch(lines);
      return answer;
    } catch (err) {
      // Wharf's own 503s (its limits on misses and on bytes in flight) are not the upstream's errors.
      if (err instanceof AppError && err.status >= 500 && err.code !== 'unavailable') this.activity.error(operatorDetail(err));
      if (!row || !(err instanceof AppError) || err.status < 500) throw err;
      // The upstream is down, slow or sent garbage: the cached file is served, marked stale, and
      // the upstream is asked again after another TTL instead of on every read.
      return this.hold(name, row, { nextCheck: now.getTime() + Math.max(this.ttlMs, 1000), warning: err.detail, stale: true });
    }
  }

  private answer(held: Held): MirrorIndexAnswer {
    const staleSeconds = held.stale ? Math.max(0, Math.floor((this.ctx.clock.now().getTime() - held.checkedAt) / 1000)) : null;
    return { entry: held.entry, staleSeconds, warning: held.warning };
  }

  /** Keeps the prepared file in memory until `nextCheck`, dropping the oldest beyond the budget. */
  private async hold(name: string, row: MirrorIndexRow, state: { nextCheck: number; checkedAt?: number; warning?: string; stale?: boolean }): Promise<MirrorIndexAnswer> {
    const previous = this.held.get(name);
    // The same bytes as held: reuse their gzip instead of compressing again.
    const entry = previous && previous.entry.body.toString('utf8') === row.body ? previous.entry : await prepareIndexEntry(row.body);
    this.forget(name);
    const held: Held = {
      entry,
      checkedAt: state.checkedAt ?? Date.parse(row.checked_at),
      nextCheck: state.nextCheck,
      warning: state.warning ?? null,
      stale: state.stale ?? false,
      size: entry.body.length + entry.gzip.length + 600,
    };
    this.held.set(name, held);
    this.heldBytes += held.size;
    for (const [key, slot] of this.held) {
      if (this.heldBytes <= HELD_BYTES || key === name) break;
      this.held.delete(key);
      this.heldBytes -= slot.size;
    }
    return this.answer(held);
  }
}

const notUpstream = (name: string, upstream: UpstreamClient, status: number) =>
  notFound(`crate \`${name}\` does not exist at the mirror's upstream ${upstream.indexUrl} (it answered ${status})`);
