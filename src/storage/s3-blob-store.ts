import type { Readable } from 'node:stream';
import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';
import type { Config } from '../config/config.js';
import { AppError, withLogDetail } from '../core/errors.js';
import { objectStoreFailure } from '../core/storage-failure.js';
import type { BlobInfo, BlobStore } from './blob-store.js';

export interface S3StoreOptions {
  bucket: string;
  /** Empty, or ending with `/`. */
  prefix: string;
  region: string;
  endpoint: string | null;
  forcePathStyle: boolean;
  /** Null: the SDK's standard chain (environment, shared files, instance or container role). */
  credentials: { accessKeyId: string; secretAccessKey: string } | null;
  presignSeconds: number;
  /** Bounds of every request; the defaults suit a registry, tests make them short. */
  connectionTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** Over the whole of a request, its attempts and (for a read) its body; `requestTimeoutMs` only notices a socket idle that long. */
  deadlineMs?: number;
  maxAttempts?: number;
  /** Keys per ListObjectsV2 page (at most 1000, the services' own cap). */
  listPageSize?: number;
  /** Send `If-None-Match: *` on writes (real S3, R2 and MinIO honour it); off for services that refuse it. */
  conditionalWrites?: boolean;
}

/**
 * The options of a store in `place` (default: the crate files' `s3_bucket` and `s3_prefix`),
 * reached through the one set of service settings (`s3_endpoint`, `s3_region`, credentials...)
 * that every bucket of Wharf shares.
 */
export function s3OptionsFromConfig(config: Config, place?: { bucket: string; prefix: string }): S3StoreOptions {
  const bucket = place?.bucket ?? config.s3Bucket;
  if (!bucket) throw new Error('storage = "s3" needs s3_bucket');
  return {
    bucket,
    prefix: place ? place.prefix : config.s3Prefix,
    region: config.s3Region,
    endpoint: config.s3Endpoint,
    forcePathStyle: config.s3ForcePathStyle,
    credentials: config.s3AccessKeyId && config.s3SecretAccessKey ? { accessKeyId: config.s3AccessKeyId, secretAccessKey: config.s3SecretAccessKey } : null,
    presignSeconds: config.s3PresignSeconds,
  };
}

/** What an object is sent with when read from the bucket (or a CDN in front of it). */
export interface ObjectHeaders {
  contentType: string;
  cacheControl?: string;
}

/** The SDK, loaded by the first S3 store only: a registry on the folder store never pays for it at start. */
interface Sdk {
  s3: typeof import('@aws-sdk/client-s3');
  presign: typeof import('@aws-sdk/s3-request-presigner');
  client: S3Client;
}

/**
 * Blobs as objects of one bucket of an S3-compatible service, under `prefix`. Every failure of
 * the service becomes an AppError naming the bucket (core/storage-failure.ts), and every request
 * is bounded: a connection timeout, a socket idle timeout and a few attempts. The keys already
 * carry part of the checksum (keys.ts), so racing writers of one key write the same bytes; writes
 * also ask the service not to replace an existing object at all.
 */
export class S3BlobStore implements BlobStore {
  private readonly sdk: Promise<Sdk>;
  /** `bucket "x" at https://...`, for error details and command output; never holds a credential. */
  readonly where: string;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly presignSeconds: number;
  private readonly listPageSize: number;
  private readonly conditionalWrites: boolean;
  private readonly deadlineMs: number;

  constructor(options: S3StoreOptions) {
    quietNodeVersionWarning();
    this.bucket = options.bucket;
    this.prefix = options.prefix;
    this.presignSeconds = options.presignSeconds;
    this.listPageSize = Math.min(1000, Math.max(1, options.listPageSize ?? 1000));
    this.conditionalWrites = options.conditionalWrites ?? true;
    this.deadlineMs = options.deadlineMs ?? DEFAULT_DEADLINE_MS;
    this.where = describeBucket(options);
    const config: S3ClientConfig = {
      region: options.region,
      forcePathStyle: options.forcePathStyle,
      maxAttempts: options.maxAttempts ?? 3,
      // s3rver and several compatible services reject the SDK's default CRC32 checksum headers.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      // Options of the SDK's NodeHttpHandler, which it builds from them. Without
      // throwOnRequestTimeout an overdue request only logs a warning and keeps waiting.
      requestHandler: { connectionTimeout: options.connectionTimeoutMs ?? 5_000, requestTimeout: options.requestTimeoutMs ?? 30_000, throwOnRequestTimeout: true },
    };
    if (options.endpoint) config.endpoint = options.endpoint;
    if (options.credentials) config.credentials = options.credentials;
    this.sdk = Promise.all([import('@aws-sdk/client-s3'), import('@aws-sdk/s3-request-presigner')]).then(([s3, presign]) => ({ s3, presign, client: new s3.S3Client(config) }));
    // Awaited by every method; a failed load is reported there, not as an unhandled rejection.
    this.sdk.catch(() => undefined);
  }

  private objectKey(key: string): string {
    if (key === '' || key.startsWith('/') || key.split('/').some((part) => part === '..' || part === '.')) throw new Error(`blob key escapes the store: ${key}`);
    return this.prefix + key;
  }

  /**
   * Runs one request under the store's deadline (passed to the SDK as its abort signal) and turns
   * its failure into the store's AppError; `failed` may answer some failures itself.
   */
  private async call<T>(operation: string, run: (abortSignal: AbortSignal) => Promise<T>, failed?: (err: unknown) => T | Promise<T>): Promise<T> {
    const deadline = new Deadline(this.deadlineMs);
    try {
      return await run(deadline.signal);
    } catch (err) {
      if (err instanceof AppError) throw err;
      if (deadline.passed) throw this.overdue(operation);
      if (failed) return failed(err);
      throw objectStoreFailure(err, this.where, operation);
    } finally {
      deadline.clear();
    }
  }

  private overdue(operation: string): AppError {
    return objectStoreFailure(Object.assign(new Error(`no complete answer within ${this.deadlineMs} ms`), { name: 'TimeoutError' }), this.where, operation);
  }

  async put(key: string, data: Buffer): Promise<void> {
    const operation = `store ${key}`;
    await this.call(operation, (abortSignal) => this.send(key, data, { contentType: 'application/octet-stream' }, this.conditionalWrites, abortSignal), async (err) => {
      // 412: the object exists (another instance wrote this key first); 409: a write of it is in flight.
      if (!isStatus(err, 412) && !isStatus(err, 409)) throw objectStoreFailure(err, this.where, operation);
      const there = await this.stat(key);
      if (there?.size !== data.length) {
        throw withLogDetail(
          new AppError('conflict', "the registry's object storage already holds another file under this one's name; nothing was replaced"),
          `the object store (${this.where}) already holds ${key} with ${there ? `${there.size} bytes, not ${data.length}` : 'a write in progress'}; nothing was replaced`,
        );
      }
      await this.touch(key);
    });
  }

  /**
   * Gives an object that a write found already there a new LastModified, by copying it onto itself
   * (S3 allows that when the metadata is replaced). It may be an old orphan (a version deleted and
   * its file left behind) that this write now re-uses: `wharf check --repair` removes orphans
   * older than its grace period, and would otherwise take it before the writer's row commits.
   */
  private async touch(key: string): Promise<void> {
    const Key = this.objectKey(key);
    const { s3, client } = await this.sdk;
    const CopySource = `${this.bucket}/${Key.split('/').map(encodeURIComponent).join('/')}`;
    await this.call(`refresh ${key}`, (abortSignal) =>
      client.send(new s3.CopyObjectCommand({ Bucket: this.bucket, Key, CopySource, MetadataDirective: 'REPLACE', ContentType: 'application/octet-stream' }), { abortSignal }),
    );
  }

  /**
   * Writes `data` under `key` in one PUT, replacing whatever object is there, with the headers a
   * reader of the bucket (a CDN) is to be sent: for files whose bytes change, such as the static
   * copy of the index. S3 makes a PUT atomic: a reader gets the old object or the new one.
   */
  async replace(key: string, data: Buffer, headers: ObjectHeaders): Promise<void> {
    await this.call(`store ${key}`, (abortSignal) => this.send(key, data, headers, false, abortSignal));
  }

  private async send(key: string, data: Buffer, headers: ObjectHeaders, ifAbsent: boolean, abortSignal: AbortSignal): Promise<void> {
    const Key = this.objectKey(key);
    const { s3, client } = await this.sdk;
    await client.send(
      new s3.PutObjectCommand({
        Bucket: this.bucket,
        Key,
        Body: data,
        ContentLength: data.length,
        ContentType: headers.contentType,
        ...(headers.cacheControl ? { CacheControl: headers.cacheControl } : {}),
        ...(ifAbsent ? { IfNoneMatch: '*' } : {}),
      }),
      { abortSignal },
    );
  }

  async get(key: string): Promise<{ stream: Readable; size: number } | null> {
    const Key = this.objectKey(key);
    const { s3, client } = await this.sdk;
    const operation = `read ${key}`;
    // The deadline runs on through the body, which the caller reads after this returns: a service
    // that sends it a byte at a time never leaves a socket idle, so nothing else would stop it.
    const deadline = new Deadline(this.deadlineMs);
    let out;
    try {
      out = await client.send(new s3.GetObjectCommand({ Bucket: this.bucket, Key }), { abortSignal: deadline.signal });
    } catch (err) {
      deadline.clear();
      if (isMissing(err)) return null;
      throw deadline.passed ? this.overdue(operation) : objectStoreFailure(err, this.where, operation);
    }
    const stream = out.Body as Readable;
    deadline.onPassed(() => stream.destroy(this.overdue(operation)));
    stream.once('close', () => deadline.clear());
    return { stream, size: Number(out.ContentLength ?? 0) };
  }

  /** Nothing remote can be read without waiting: downloads always go through `get` (or a redirect). */
  readNow(): Buffer | undefined {
    return undefined;
  }

  async delete(key: string): Promise<void> {
    const Key = this.objectKey(key);
    const { s3, client } = await this.sdk;
    await this.call(`delete ${key}`, (abortSignal) => client.send(new s3.DeleteObjectCommand({ Bucket: this.bucket, Key }), { abortSignal }));
  }

  async exists(key: string): Promise<boolean> {
    return (await this.stat(key)) !== null;
  }

  async *list(prefix: string): AsyncIterable<BlobInfo> {
    const { s3, client } = await this.sdk;
    let token: string | undefined;
    do {
      const page = await this.call(`list ${prefix || 'its keys'}`, (abortSignal) =>
        client.send(new s3.ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.prefix + prefix, ContinuationToken: token, MaxKeys: this.listPageSize }), { abortSignal }),
      );
      for (const object of page.Contents ?? []) {
        if (!object.Key) continue;
        yield { key: object.Key.slice(this.prefix.length), size: Number(object.Size ?? 0), modifiedAt: object.LastModified ?? new Date(0) };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async stat(key: string): Promise<BlobInfo | null> {
    const Key = this.objectKey(key);
    const { s3, client } = await this.sdk;
    const operation = `look up ${key}`;
    return this.call(
      operation,
      async (abortSignal) => {
        const head = await client.send(new s3.HeadObjectCommand({ Bucket: this.bucket, Key }), { abortSignal });
        return { key, size: Number(head.ContentLength ?? 0), modifiedAt: head.LastModified ?? new Date(0) };
      },
      (err) => {
        if (isMissing(err)) return null;
        throw objectStoreFailure(err, this.where, operation);
      },
    );
  }

  async signedUrl(key: string, filename: string): Promise<string> {
    const { s3, presign, client } = await this.sdk;
    const command = new s3.GetObjectCommand({
      Bucket: this.bucket,
      Key: this.objectKey(key),
      ResponseContentType: 'application/gzip',
      ResponseContentDisposition: `attachment; filename="${filename.replace(/["\\\r\n]/g, '')}"`,
    });
    // Signing is local: no request, so nothing here can hang.
    return this.call(`sign a URL for ${key}`, () => presign.getSignedUrl(client, command, { expiresIn: this.presignSeconds }));
  }

  async probe(): Promise<void> {
    const { s3, client } = await this.sdk;
    await this.call(
      'open the bucket',
      (abortSignal) => client.send(new s3.HeadBucketCommand({ Bucket: this.bucket }), { abortSignal }),
      (err) => {
        // HEAD answers carry no error body: a bare 404 is the missing bucket.
        const named = isStatus(err, 404) ? Object.assign(new Error('NoSuchBucket'), { name: 'NoSuchBucket' }) : err;
        throw objectStoreFailure(named, this.where, 'open the bucket');
      },
    );
  }

  /** Closes the client's connections (commands that end, tests). */
  close(): void {
    void this.sdk.then(({ client }) => client.destroy(), () => undefined);
  }
}

/** Five minutes for any one request, body included: a .crate to a slow client fits, a stalled service does not. */
const DEFAULT_DEADLINE_MS = 300_000;

/** A deadline over a whole request: an abort signal for the SDK, and what else to stop when it passes. */
class Deadline {
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private stop: (() => void) | null = null;
  passed = false;

  constructor(ms: number) {
    this.timer = setTimeout(() => {
      this.passed = true;
      this.stop?.();
      this.controller.abort();
    }, ms);
    this.timer.unref();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  onPassed(stop: () => void): void {
    this.stop = stop;
  }

  clear(): void {
    clearTimeout(this.timer);
  }
}

/**
 * The SDK warns at every client's creation that its releases after January 2027 need Node 22;
 * Wharf supports Node 20, so the warning is off unless the operator set the variable themselves
 * (README "Object storage").
 */
export function quietNodeVersionWarning(): void {
  if (process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED === undefined) process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
}

/** `bucket "x" under "p/" at URL`: where the files are, without any credential. */
export function describeBucket(o: Pick<S3StoreOptions, 'bucket' | 'prefix' | 'endpoint' | 'region'>): string {
  return `bucket "${o.bucket}"${o.prefix ? ` under "${o.prefix}"` : ''} at ${o.endpoint ?? `AWS S3 (${o.region})`}`;
}

function isStatus(err: unknown, status: number): boolean {
  return (err as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode === status;
}

/** A missing key (NoSuchKey on GET, a bare 404 on HEAD); a missing bucket is an error, not an absence. */
function isMissing(err: unknown): boolean {
  const name = (err as { name?: string } | null)?.name;
  if (name === 'NoSuchBucket') return false;
  return name === 'NoSuchKey' || name === 'NotFound' || isStatus(err, 404);
}
