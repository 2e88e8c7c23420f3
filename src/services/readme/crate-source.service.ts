import { posix } from 'node:path';
import { readCrateFiles } from '../../core/crate-file.js';
import { notFound } from '../../core/errors.js';
import { ByteLru } from '../byte-lru.js';
import { loadCrateVersion } from '../crate-query.service.js';
import type { ServiceContext } from '../context.js';
import { crateBytes } from './readme-input.js';

/** A file of a published .crate, as the source route serves it. */
export interface SourceFile {
  body: Buffer;
  contentType: string;
  /** `attachment` for what a browser would run or render as a page (HTML, SVG opened directly). */
  disposition: 'inline' | 'attachment';
}

/** Files larger than this are not served from a .crate. */
export const MAX_SOURCE_FILE_BYTES = 8 * 1024 * 1024;
/** Served files kept in memory, by their bytes. */
export const SOURCE_CACHE_BYTES = 16 * 1024 * 1024;

const IMAGES: Record<string, string> = {
  png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp', avif: 'image/avif', ico: 'image/x-icon', bmp: 'image/bmp',
};

/**
 * The content type a file of a .crate is served with: images as themselves, SVG as an image that
 * only an <img> shows (an attachment when opened, under its own CSP), and everything else as
 * plain text when it is UTF-8 (HTML included: never rendered from a .crate), else as bytes to
 * download.
 */
export function sourceType(path: string, body: Buffer): Pick<SourceFile, 'contentType' | 'disposition'> {
  const ext = posix.extname(path).slice(1).toLowerCase();
  if (IMAGES[ext]) return { contentType: IMAGES[ext], disposition: 'inline' };
  if (ext === 'svg') return { contentType: 'image/svg+xml', disposition: 'attachment' };
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(body);
    return { contentType: 'text/plain; charset=utf-8', disposition: 'inline' };
  } catch {
    return { contentType: 'application/octet-stream', disposition: 'attachment' };
  }
}

/**
 * Files of published .crate files, for the relative links and images of READMEs: read from the
 * blob store (one inflate of the .crate per file not cached), kept in a cache bounded by bytes.
 * A version's bytes never change, so neither does what is cached.
 */
export class CrateSources {
  private readonly cache = new ByteLru<string, SourceFile>(SOURCE_CACHE_BYTES, (f) => f.body.length + 64);

  constructor(private readonly ctx: ServiceContext) {}

  async file(name: string, num: string, path: string): Promise<SourceFile> {
    const { crate, version } = await loadCrateVersion(this.ctx, name, num);
    const key = `${version.id}\0${path}`;
    const cached = this.cache.get(key);
    if (cached) return cached;
    const missing = () => notFound(`\`${crate.name}@${version.num}\` has no file \`${path}\` (of at most ${MAX_SOURCE_FILE_BYTES} bytes)`);
    const bytes = await crateBytes(this.ctx, crate.name, version);
    if (!bytes) throw missing();
    const found = await readCrateFiles(bytes, `${crate.name}-${version.num}/`, (p) => p === path, MAX_SOURCE_FILE_BYTES, this.ctx.config.maxUnpackedSize);
    const body = found.contents.get(path);
    if (!body) throw missing();
    const file = { body, ...sourceType(path, body) };
    this.cache.set(key, file);
    return file;
  }
}
