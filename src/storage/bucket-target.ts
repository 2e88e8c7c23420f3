import type { ObjectHeaders, S3BlobStore } from './s3-blob-store.js';
import type { StaticTarget } from './static-target.js';

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

  async read(path: string): Promise<Buffer | null> {
    const file = await this.store.get(path);
    if (!file) return null;
    return Buffer.concat((await file.stream.toArray()) as Buffer[]);
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
