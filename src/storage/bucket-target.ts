import { AppError, withLogDetail } from '../core/errors.js';
import type { ObjectHeaders, S3BlobStore } from './s3-blob-store.js';
import type { StaticTarget } from './static-target.js';

/** 256 MiB: far above an index file, and above any .crate a registry accepts. */
const DEFAULT_MAX_READ_BYTES = 256 * 1024 * 1024;

/**
 * The static copy of the index in a bucket (`static_index_bucket`), for a CDN (or a bucket's own
 * website endpoint) to serve. Every file is one PUT, which S3 makes atomic, and each new content
 * gets a new ETag (the MD5 of the bytes) with no help. The objects carry the headers a reader is
 * to be sent, chosen by `headersFor` (the static index's own policy: content types as Wharf's
 * /index/ answers, cache lifetimes as the README's nginx configuration sets them), because a
 * bucket has no configuration of its own for them. Built on the S3 blob store, so both buckets
 * share one way of reaching the service, its bounds and its error messages.
 */
export class BucketTarget implements StaticTarget {
  constructor(
    private readonly store: S3BlobStore,
    private readonly headersFor: (path: string) => ObjectHeaders,
    /** What `read` takes into memory at most: above any index file or .crate the copy holds. */
    private readonly maxReadBytes = DEFAULT_MAX_READ_BYTES,
  ) {}

  get describe(): string {
    return this.store.where;
  }

  put(path: string, bytes: Buffer): Promise<void> {
    return this.store.replace(path, bytes, this.headersFor(path));
  }

  remove(path: string): Promise<void> {
    // DeleteObject of a missing key succeeds: a file already gone is no error, as the interface asks.
    return this.store.delete(path);
  }

  /** A whole file, refused (and its download stopped) past `maxReadBytes`, whatever the bucket announced. */
  async read(path: string): Promise<Buffer | null> {
    const file = await this.store.get(path);
    if (!file) return null;
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      if (file.size > this.maxReadBytes) throw this.tooLarge(path, file.size);
      for await (const chunk of file.stream) {
        size += (chunk as Buffer).length;
        if (size > this.maxReadBytes) throw this.tooLarge(path, size);
        chunks.push(chunk as Buffer);
      }
    } finally {
      file.stream.destroy();
    }
    return Buffer.concat(chunks);
  }

  private tooLarge(path: string, size: number): AppError {
    return withLogDetail(
      new AppError('bad_gateway', `a file of the static index's copy is larger than the ${this.maxReadBytes} bytes read at most; it was not read`),
      `the static copy's ${this.store.where} holds ${path} with at least ${size} bytes, more than the ${this.maxReadBytes} bytes read at most; it was not read (a file there that Wharf did not write?)`,
    );
  }

  exists(path: string): Promise<boolean> {
    return this.store.exists(path);
  }

  async *list(prefix = ''): AsyncIterable<string> {
    for await (const object of this.store.list(prefix)) yield object.key;
  }

  close(): void {
    this.store.close();
  }
}
