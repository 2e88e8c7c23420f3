import { ChangeFeed } from './change-feed.service.js';
import type { ServiceContext } from './context.js';
import { DownloadCounter, DownloadLocations } from './download.service.js';
import { ImageProxy } from './image-proxy/image-proxy.service.js';
import { IndexCache } from './index.service.js';
import { createMirror, type Mirror } from './mirror/mirror.js';
import { PublishLimits } from './publish-limits.js';
import { Readmes } from './readme/readme.service.js';
import { TrustpubIssuers } from './trustpub/trustpub-issuers.js';

/** The long-lived parts of a running registry: the service context plus its in-memory caches. */
export interface Runtime {
  readonly ctx: ServiceContext;
  readonly index: IndexCache;
  readonly downloads: DownloadCounter;
  /** Where each version's file is, once looked up. */
  readonly downloadLocations: DownloadLocations;
  readonly changes: ChangeFeed;
  /** Per-user publish and yank rate limits (in memory, per instance). */
  readonly publishLimits: PublishLimits;
  /** README renders: a worker thread with a time budget, and the stored results by bytes. */
  readonly readmes: Readmes;
  /** README images from other hosts, fetched under Wharf's address rules and cached by bytes. */
  readonly images: ImageProxy;
  /** The mirror of an upstream registry under /mirror/, or null when none is configured. */
  readonly mirror: Mirror | null;
  /** The trusted CI issuers and their cached keys (trusted publishing). */
  readonly trustpubIssuers: TrustpubIssuers;
}

export function createRuntime(ctx: ServiceContext): Runtime {
  const index = new IndexCache(ctx.db);
  return {
    ctx,
    index,
    downloads: new DownloadCounter(ctx),
    downloadLocations: new DownloadLocations(ctx),
    changes: new ChangeFeed(ctx.db, ctx.clock, index, ctx.config.databaseUrl),
    publishLimits: new PublishLimits(ctx.config, ctx.clock),
    readmes: new Readmes(ctx),
    images: new ImageProxy(ctx, ctx.config.imageProxy, {
      timeoutMs: ctx.config.imageProxyTimeoutMs,
      maxBytes: ctx.config.imageProxyMaxBytes,
      allowPrivate: ctx.config.imageProxyAllowPrivate,
    }),
    mirror: createMirror(ctx, { prefetch: true }),
    trustpubIssuers: new TrustpubIssuers(ctx.config, ctx.clock),
  };
}

/** Starts the background work of a serving instance: download flushes and the change feed. */
export async function startRuntime(runtime: Runtime): Promise<void> {
  runtime.downloads.start();
  runtime.mirror?.activity.start();
  await runtime.changes.start(runtime.ctx.config.changePollMs);
}

/** Stops the background work, writing the download counts still in memory. */
export async function stopRuntime(runtime: Runtime): Promise<void> {
  await runtime.changes.stop();
  await runtime.downloads.stop();
  await runtime.readmes.close();
  runtime.images.close();
  await runtime.mirror?.index.prefetch?.stop();
  await runtime.mirror?.crates.idle();
  runtime.mirror?.upstream?.close();
  await runtime.mirror?.activity.stop();
}
