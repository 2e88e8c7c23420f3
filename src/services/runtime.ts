import type { ServiceContext } from './context.js';
import { DownloadCounter } from './download.service.js';
import { IndexCache } from './index.service.js';

/** The long-lived parts of a running registry: the service context plus its in-memory caches. */
export interface Runtime {
  readonly ctx: ServiceContext;
  readonly index: IndexCache;
  readonly downloads: DownloadCounter;
}

export function createRuntime(ctx: ServiceContext): Runtime {
  return { ctx, index: new IndexCache(ctx.db), downloads: new DownloadCounter(ctx) };
}
