import { addMirrorDownloads } from '../../db/repositories/mirror.repository.js';
import type { ServiceContext } from '../context.js';

/** Upstream failures kept for the admin page. */
const RECENT_ERRORS = 20;

export interface MirrorActivitySnapshot {
  since: string;
  /** Index reads, and those answered without asking the upstream. */
  indexReads: number;
  indexHits: number;
  /** .crate downloads, and those served from the blob store without a fetch. */
  downloads: number;
  downloadHits: number;
  /** Newest first. */
  errors: Array<{ at: string; detail: string }>;
}

/**
 * What this instance's mirror did since it started (reads, hits, the last upstream failures),
 * for the admin page, and the download counts, written to the database in one transaction every
 * few seconds like private downloads (so a download never costs a write).
 */
export class MirrorActivity {
  private readonly since: string;
  private indexReads = 0;
  private indexHits = 0;
  private downloads = 0;
  private downloadHits = 0;
  private errors: Array<{ at: string; detail: string }> = [];
  private pending = new Map<string, { name: string; version: string; count: number }>();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();

  constructor(private readonly ctx: ServiceContext) {
    this.since = ctx.clock.now().toISOString();
  }

  indexRead(hit: boolean): void {
    this.indexReads++;
    if (hit) this.indexHits++;
  }

  download(name: string, version: string, hit: boolean): void {
    this.downloads++;
    if (hit) this.downloadHits++;
    const key = `${name}@${version}`;
    const entry = this.pending.get(key);
    if (entry) entry.count++;
    else this.pending.set(key, { name, version, count: 1 });
  }

  error(detail: string): void {
    this.errors.unshift({ at: this.ctx.clock.now().toISOString(), detail });
    this.errors.length = Math.min(this.errors.length, RECENT_ERRORS);
  }

  snapshot(): MirrorActivitySnapshot {
    const { since, indexReads, indexHits, downloads, downloadHits } = this;
    return { since, indexReads, indexHits, downloads, downloadHits, errors: [...this.errors] };
  }

  start(): void {
    this.timer ??= setInterval(() => void this.flush().catch(() => undefined), this.ctx.config.downloadFlushMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush();
  }

  /** Writes the counts so far; flushes run one after another, and a failed one keeps its counts. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      if (this.pending.size === 0) return;
      const batch = this.pending;
      this.pending = new Map();
      try {
        await addMirrorDownloads(this.ctx.db, batch);
      } catch (err) {
        for (const [key, { name, version, count }] of batch) {
          const entry = this.pending.get(key);
          if (entry) entry.count += count;
          else this.pending.set(key, { name, version, count });
        }
        throw err;
      }
    });
    return this.flushing;
  }
}
