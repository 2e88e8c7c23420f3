import { mirrorEnabled } from '../../config/config.js';
import type { ServiceContext } from '../context.js';
import { MirrorActivity } from './mirror-activity.js';
import { MirroredPages } from './mirror-browse.service.js';
import { MirrorCrates } from './mirror-crates.service.js';
import { MirrorIndex } from './mirror-index.service.js';
import { UpstreamClient } from './upstream-client.js';

/** Reports a long sync, export or import as it goes: files and bytes so far, out of `total` when known. */
export type { Progress } from '../progress.js';

/** The mirror of an upstream sparse registry, served under /mirror/. */
export interface Mirror {
  /** null when offline: nothing is ever asked of the upstream. */
  readonly upstream: UpstreamClient | null;
  readonly index: MirrorIndex;
  readonly crates: MirrorCrates;
  readonly activity: MirrorActivity;
  /** The /mirrored/{name} pages, parsed once per stored file. */
  readonly pages: MirroredPages;
}

/**
 * The mirror the configuration asks for, or null when it asks for none. `prefetch`: a serving
 * instance fetches the dependencies' index files of each file it fetches (`MirrorPrefetch`).
 */
export function createMirror(ctx: ServiceContext, options: { prefetch: boolean } = { prefetch: false }): Mirror | null {
  const { config } = ctx;
  if (!mirrorEnabled(config)) return null;
  const upstream = config.mirrorUpstream && !config.mirrorOffline ? new UpstreamClient(config.mirrorUpstream, config.mirrorTimeoutMs) : null;
  const activity = new MirrorActivity(ctx);
  const index = new MirrorIndex(ctx, upstream, activity, options);
  return { upstream, index, crates: new MirrorCrates(ctx, index, upstream, activity), activity, pages: new MirroredPages(ctx) };
}
