import { ChangeFeed } from './change-feed.service.js';
import { CrateFileCache } from './crate-cache/crate-file-cache.js';
import type { ServiceContext } from './context.js';
import { DownloadCounter, DownloadLocations } from './download.service.js';
import { ImageProxy } from './image-proxy/image-proxy.service.js';
import { IndexCache } from './index.service.js';
import { type JobLog, JobRunner } from './jobs/job-runner.js';
import { registerMailJobs } from './mail/mail-jobs.js';
import type { SmtpClient } from './mail/smtp-client.js';
import { createMirror, type Mirror } from './mirror/mirror.js';
import { PublishLimits } from './publish-limits.js';
import { createStaticIndex, type StaticIndex } from './static-index/static-index.service.js';
import { Readmes } from './readme/readme.service.js';
import { createSharedStore } from './shared-state/create-shared-store.js';
import type { SharedStore } from './shared-state/shared-store.js';
import { TrustpubIssuers } from './trustpub/trustpub-issuers.js';

/** The long-lived parts of a running registry: the service context plus its in-memory caches. */
export interface Runtime {
  readonly ctx: ServiceContext;
  readonly index: IndexCache;
  readonly downloads: DownloadCounter;
  /** Where each version's file is, once looked up. */
  readonly downloadLocations: DownloadLocations;
  /** Popular .crate files in memory, by blob key (`crate_cache_bytes`). */
  readonly crateFiles: CrateFileCache;
  readonly changes: ChangeFeed;
  /** Where the limits every instance counts together are kept: the database, or Redis (`redis_url`). */
  readonly shared: SharedStore;
  /** Per-user publish and yank rate limits (in the shared store). */
  readonly publishLimits: PublishLimits;
  /** README renders: a worker thread with a time budget, and the stored results by bytes. */
  readonly readmes: Readmes;
  /** README images from other hosts, fetched under Wharf's address rules and cached by bytes. */
  readonly images: ImageProxy;
  /** The mirror of an upstream registry under /mirror/, or null when none is configured. */
  readonly mirror: Mirror | null;
  /** The trusted CI issuers and their cached keys (trusted publishing). */
  readonly trustpubIssuers: TrustpubIssuers;
  /** The runner of the durable job queue (e-mail, expiry reminders); started by `wharf serve`. */
  readonly jobs: JobRunner;
  /** The SMTP server's client, or null when no e-mail is sent. */
  readonly smtp: SmtpClient | null;
  /** The static copy of the index for nginx or a CDN (`static_index_dir`), or null. */
  readonly staticIndex: StaticIndex | null;
}

export function createRuntime(ctx: ServiceContext): Runtime {
  const index = new IndexCache(ctx.db);
  const downloadLocations = new DownloadLocations(ctx);
  const staticIndex = createStaticIndex(ctx);
  const crateFiles = new CrateFileCache(ctx.config.crateCacheBytes);
  // A change of a crate made by another instance (a deletion) also moves its download locations,
  // may remove its files (kept in memory too), and changes its file in the static copy (which
  // every instance writes: the writes are idempotent, and a change made by the CLI or by an
  // instance that crashed after its commit still gets written).
  const stale = {
    invalidate: (name: string) => (index.invalidate(name), downloadLocations.forget(name), crateFiles.forgetCrate(name), void staticIndex?.changed(name)),
    clear: () => (index.clear(), downloadLocations.clear(), crateFiles.clear(), staticIndex?.resync()),
  };
  const jobs = new JobRunner(ctx);
  const smtp = registerMailJobs(ctx, jobs);
  const shared = createSharedStore(ctx, jobs);
  return {
    ctx,
    index,
    downloads: new DownloadCounter(ctx),
    downloadLocations,
    crateFiles,
    changes: new ChangeFeed(ctx.db, ctx.clock, stale, ctx.config.databaseUrl),
    shared,
    publishLimits: new PublishLimits(ctx.config, ctx.clock, shared),
    readmes: new Readmes(ctx),
    images: new ImageProxy(ctx, ctx.config.imageProxy, {
      timeoutMs: ctx.config.imageProxyTimeoutMs,
      maxBytes: ctx.config.imageProxyMaxBytes,
      allowPrivate: ctx.config.imageProxyAllowPrivate,
    }),
    mirror: createMirror(ctx, { prefetch: true }),
    trustpubIssuers: new TrustpubIssuers(ctx.config, ctx.clock),
    jobs,
    smtp,
    staticIndex,
  };
}

/** Starts the background work of a serving instance: download flushes, the job queue and the change feed. */
export async function startRuntime(runtime: Runtime, log?: JobLog): Promise<void> {
  runtime.downloads.start();
  runtime.jobs.start(log);
  runtime.mirror?.activity.start();
  await runtime.changes.start(runtime.ctx.config.changePollMs);
  if (log) runtime.staticIndex?.setLog(log);
  await runtime.staticIndex?.start();
}

/** Stops the background work, writing the download counts still in memory. */
export async function stopRuntime(runtime: Runtime): Promise<void> {
  await runtime.changes.stop();
  await runtime.staticIndex?.stop();
  runtime.staticIndex?.close();
  await runtime.jobs.stop();
  runtime.smtp?.close();
  await runtime.downloads.stop();
  await runtime.readmes.close();
  runtime.images.close();
  await runtime.mirror?.index.prefetch?.stop();
  await runtime.mirror?.crates.idle();
  runtime.mirror?.upstream?.close();
  await runtime.mirror?.activity.stop();
  await runtime.shared.close();
}

/** How long an answer waits for the static copy's write; a slower write finishes after the answer. */
const STATIC_WRITE_WAIT_MS = 2000;

/**
 * After a publish, yank or unyank committed on this instance: its cached index file is stale at
 * once, and the static copy is written before the answer (within STATIC_WRITE_WAIT_MS), so a
 * client that reads the static copy right after a yank sees it, as it would on /index/. Other
 * instances learn it from the change feed.
 */
export async function indexChanged(runtime: Runtime, name: string): Promise<void> {
  runtime.index.invalidate(name);
  const written = runtime.staticIndex?.changed(name);
  if (!written) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([written, new Promise<void>((resolve) => (timer = setTimeout(resolve, STATIC_WRITE_WAIT_MS)))]);
  clearTimeout(timer);
}

/** After a deletion on this instance: its index file, download locations and kept files are stale at once (others learn it from the change feed). */
export function crateRemoved(runtime: Runtime, name: string): Promise<void> {
  runtime.downloadLocations.forget(name);
  runtime.crateFiles.forgetCrate(name);
  return indexChanged(runtime, name);
}
