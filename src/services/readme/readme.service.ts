import { findReadme, insertReadme } from '../../db/repositories/readme.repository.js';
import { ByteLru, stringBytes } from '../byte-lru.js';
import type { ServiceContext } from '../context.js';
import type { ReadmeInput } from './readme-input.js';
import type { ReadmeContext } from './readme-links.js';
import { DEFAULT_RENDERER_OPTIONS, ReadmeRenderer } from './renderer.js';

/** A README as the crate page shows it. */
export interface PreparedReadme {
  format: 'markdown' | 'plain';
  html: string;
}

/** The stored `format` of a version that has no README (publish stores it, or the first view that looked). */
export const NO_README = 'none';

/** Rendered READMEs kept in memory, by the bytes they take. */
export const README_CACHE_BYTES = 16 * 1024 * 1024;

const escapeText = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** The README as escaped text, after a note that says why it is not rendered. */
export function plainReadme(source: string, why: string): PreparedReadme {
  return {
    format: 'plain',
    html: `<p class="readme-note">This README ${why}, so it is shown as plain text.</p>\n<pre class="readme-plain">${escapeText(source)}</pre>`,
  };
}

/**
 * READMEs are rendered once per version, in the render worker, and stored (`readmes` table):
 * at publish, or on the first view of a version whose render was not stored then (the renderer
 * was busy, or it was published before), from its .crate. The stored HTML carries its external
 * images as unsigned proxy paths, signed when served (`ImageProxy.prepareHtml`). A README that fails or overruns the budget is stored
 * as escaped text with a note, so it is never tried again. Views read the stored result,
 * through a cache bounded by bytes.
 */
export class Readmes {
  // null: the version has no README (remembered, so a view never reads its .crate twice).
  private readonly cache = new ByteLru<number, PreparedReadme | null>(README_CACHE_BYTES, (r) => (r ? stringBytes(r.html) : 16));
  private readonly rendering = new Map<number, Promise<PreparedReadme | null>>();

  constructor(
    private readonly ctx: ServiceContext,
    readonly renderer = new ReadmeRenderer(DEFAULT_RENDERER_OPTIONS),
  ) {}

  /**
   * Renders `source` in the worker; null when the renderer cannot take it now (a later view
   * renders it), which includes more than `maxWaiting` renders waiting already.
   */
  async prepare(source: string, maxWaiting?: number, context: ReadmeContext | null = null): Promise<PreparedReadme | null> {
    const outcome = await this.renderer.render(source, maxWaiting, context);
    switch (outcome.kind) {
      case 'html':
        return { format: 'markdown', html: outcome.html };
      case 'too-large':
        return plainReadme(source, `renders to more than ${this.renderer.options.maxHtml / 1024 / 1024} MiB of HTML`);
      case 'over-budget':
        return plainReadme(source, `took longer than the ${this.renderer.options.budgetMs / 1000} s allowed to render`);
      case 'failed':
        return plainReadme(source, 'could not be rendered');
      case 'unavailable':
        return null;
    }
  }

  /**
   * The README of version `versionId`: stored, or rendered from what `input` reads and stored
   * now; null when the version has none.
   */
  async forVersion(versionId: number, input: () => Promise<ReadmeInput | null>): Promise<PreparedReadme | null> {
    const cached = this.cache.get(versionId);
    if (cached !== undefined) return cached;
    let pending = this.rendering.get(versionId);
    if (!pending) {
      pending = this.load(versionId, input).finally(() => this.rendering.delete(versionId));
      this.rendering.set(versionId, pending);
    }
    return pending;
  }

  close(): Promise<void> {
    return this.renderer.close();
  }

  private async load(versionId: number, input: () => Promise<ReadmeInput | null>): Promise<PreparedReadme | null> {
    const stored = await findReadme(this.ctx.db, versionId);
    if (stored?.format === NO_README) return this.remember(versionId, null);
    if (stored) return this.remember(versionId, { format: stored.format === 'markdown' ? 'markdown' : 'plain', html: stored.html });
    const found = await input();
    if (!found) {
      await insertReadme(this.ctx.db, { version_id: versionId, format: NO_README, html: '', created_at: this.ctx.clock.now().toISOString() });
      return this.remember(versionId, null);
    }
    const prepared = await this.prepare(found.source, undefined, found.context);
    // Not stored and not kept: the renderer was busy, the next view tries again.
    if (!prepared) return plainReadme(found.source, 'is waiting to be rendered');
    await insertReadme(this.ctx.db, { version_id: versionId, ...prepared, created_at: this.ctx.clock.now().toISOString() });
    return this.remember(versionId, prepared);
  }

  private remember<R extends PreparedReadme | null>(versionId: number, readme: R): R {
    this.cache.set(versionId, readme);
    return readme;
  }
}
