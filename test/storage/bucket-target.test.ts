import { createHash } from 'node:crypto';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkRegistry } from '../../src/services/check.service.js';
import { createStaticIndex, type StaticIndex } from '../../src/services/static-index/static-index.service.js';
import type { AppError } from '../../src/core/errors.js';
import { BucketTarget } from '../../src/storage/bucket-target.js';
import { quietNodeVersionWarning, S3BlobStore } from '../../src/storage/s3-blob-store.js';
import { type S3Server, S3_CREDENTIALS, s3Config, startS3Server } from '../helpers/s3-server.js';
import { staticWriterApp } from '../helpers/static-writer.js';

/**
 * The static copy of the index in a bucket (static_index_bucket), against s3rver: the target's
 * own calls, then the writer driven by publishes, yanks and `wharf check` as the folder's is.
 */
let s3: S3Server;
let client: S3Client;
beforeAll(async () => {
  s3 = await startS3Server();
  quietNodeVersionWarning();
  client = new S3Client({ endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: S3_CREDENTIALS });
});
afterAll(async () => {
  client?.destroy();
  await s3?.close();
});

const object = async (bucket: string, key: string) => {
  const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return { bytes: Buffer.from(await out.Body!.transformToByteArray()), contentType: out.ContentType, cacheControl: out.CacheControl, contentEncoding: out.ContentEncoding };
};
const keys = async (target: BucketTarget, prefix = '') => {
  const all: string[] = [];
  for await (const path of target.list(prefix)) all.push(path);
  return all.sort();
};

describe('BucketTarget', () => {
  let bucket: string;
  let target: BucketTarget;
  beforeAll(async () => {
    bucket = await s3.createBucket();
    const store = new S3BlobStore({
      bucket,
      prefix: 'index/',
      region: 'us-east-1',
      endpoint: s3.endpoint,
      forcePathStyle: true,
      credentials: S3_CREDENTIALS,
      presignSeconds: 60,
      listPageSize: 2,
    });
    target = new BucketTarget(store, (path) => ({ contentType: path.endsWith('.json') ? 'application/json' : 'text/plain; charset=utf-8', cacheControl: 'public, max-age=0, must-revalidate' }));
  });
  afterAll(() => target.close());

  it('writes each file in one PUT under its prefix, replacing the old one, with the headers chosen for its path', async () => {
    await target.put('ab/cd/abcd', Buffer.from('one\n'));
    await target.put('ab/cd/abcd', Buffer.from('two\n'));
    await target.put('config.json', Buffer.from('{}'));
    const file = await object(bucket, 'index/ab/cd/abcd');
    expect(file.bytes.toString()).toBe('two\n');
    expect(file.contentType).toBe('text/plain; charset=utf-8');
    expect(file.cacheControl).toBe('public, max-age=0, must-revalidate');
    expect((await object(bucket, 'index/config.json')).contentType).toBe('application/json');
    expect((await target.read('ab/cd/abcd'))?.toString()).toBe('two\n');
    expect(await target.read('ab/cd/none')).toBeNull();
    expect(await target.exists('ab/cd/abcd')).toBe(true);
    expect(await target.exists('ab/cd/none')).toBe(false);
  });

  it('gives new bytes a new ETag, so a CDN revalidating with If-None-Match gets them', async () => {
    const etag = async () => (await client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'index/2/ab' }))).ETag;
    await target.put('2/ab', Buffer.from('{"yanked":true}\n'));
    const first = await etag();
    await target.put('2/ab', Buffer.from('{"yanked":!!!!}\n'));
    expect(await etag()).not.toBe(first);
  });

  it('lists every path under a prefix across pages, not the objects outside its prefix, and removes idempotently', async () => {
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'elsewhere/x', Body: 'x' }));
    expect(await keys(target)).toEqual(['2/ab', 'ab/cd/abcd', 'config.json']);
    expect(await keys(target, 'ab/')).toEqual(['ab/cd/abcd']);
    await target.remove('2/ab');
    await target.remove('2/ab');
    expect(await keys(target)).toEqual(['ab/cd/abcd', 'config.json']);
    await expect(target.put('../escape', Buffer.from('x'))).rejects.toThrow(/escapes/);
  });

  it('refuses to read a file larger than its cap into memory, naming the bucket and the file in the log detail', async () => {
    await target.put('big/file', Buffer.alloc(64, 1));
    const capped = new BucketTarget(new S3BlobStore({ bucket, prefix: 'index/', region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true, credentials: S3_CREDENTIALS, presignSeconds: 60 }), () => ({ contentType: 'text/plain' }), 32);
    const err = await capped.read('big/file').then(() => null, (e: unknown) => e as AppError);
    expect(err?.status).toBe(502);
    expect(err?.logDetail).toMatch(new RegExp(`bucket "${bucket}" under "index/".* holds big/file with at least 64 bytes, more than the 32 bytes read at most`));
    expect(await capped.read('config.json')).not.toBeNull();
    await target.remove('big/file');
    capped.close();
  });

  it('names the bucket in what it says, and fails with a message naming it when the bucket is missing', async () => {
    expect(target.describe).toContain(`bucket "${bucket}" under "index/"`);
    const store = new S3BlobStore({ bucket: 'no-such-bucket', prefix: '', region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true, credentials: S3_CREDENTIALS, presignSeconds: 60, maxAttempts: 1 });
    const missing = new BucketTarget(store, () => ({ contentType: 'text/plain' }));
    await expect(missing.put('config.json', Buffer.from('{}'))).rejects.toThrow(/no-such-bucket/);
    missing.close();
  });
});

describe('StaticIndex in a bucket (static_index_bucket)', () => {
  let bucket: string;
  const s = staticWriterApp(async () => {
    bucket = await s3.createBucket();
    return { ...s3Config(s3.endpoint, bucket), staticIndexBucket: `${bucket}/copy`, staticDlBaseUrl: 'https://cdn.example.com/crates' };
  });
  const file = async (path: string) => object(bucket, `copy/${path}`);

  it('writes config.json, the index file, its .gz and the .crate files with the headers a CDN needs', async () => {
    await s.t.publish(s.token, { name: 'In_Bucket', vers: '1.0.0' });
    await s.writer.idle();
    const config = await file('config.json');
    expect(JSON.parse(config.bytes.toString())).toEqual({ dl: 'https://cdn.example.com/crates/{crate}/{version}/{sha256-checksum}.crate', api: 'http://wharf.test', 'auth-required': false });
    expect(config.contentType).toBe('application/json');
    expect(config.cacheControl).toBe('public, max-age=0, must-revalidate');

    const own = await s.t.app.inject({ method: 'GET', url: '/index/in/_b/in_bucket' });
    const index = await file('in/_b/in_bucket');
    expect(index.bytes.equals(own.rawPayload)).toBe(true);
    expect(index.contentType).toBe(own.headers['content-type']);
    expect(index.cacheControl).toBe('public, max-age=0, must-revalidate');
    const gz = await file('in/_b/in_bucket.gz');
    expect(gunzipSync(gz.bytes).equals(index.bytes)).toBe(true);
    // A bucket cannot negotiate: the sibling is a plain gzip file, never sent as an encoding.
    expect(gz.contentType).toBe('application/gzip');
    expect(gz.contentEncoding).toBeUndefined();

    const { cksum } = JSON.parse(index.bytes.toString()) as { cksum: string };
    const crate = await file(`crates/In_Bucket/1.0.0/${cksum}.crate`);
    expect(createHash('sha256').update(crate.bytes).digest('hex')).toBe(cksum);
    expect(crate.contentType).toBe('application/gzip');
    expect(crate.cacheControl).toBe('public, max-age=31536000, immutable');
  });

  it('rewrites the file on yank and unyank', async () => {
    const yanked = async () => (JSON.parse((await file('in/_b/in_bucket')).bytes.toString()) as { yanked: boolean }).yanked;
    expect((await s.t.app.inject({ method: 'DELETE', url: '/api/v1/crates/In_Bucket/1.0.0/yank', headers: { authorization: s.token } })).statusCode).toBe(200);
    await s.writer.idle();
    expect(await yanked()).toBe(true);
    expect((await s.t.app.inject({ method: 'PUT', url: '/api/v1/crates/In_Bucket/1.0.0/unyank', headers: { authorization: s.token } })).statusCode).toBe(200);
    await s.writer.idle();
    expect(await yanked()).toBe(false);
  });

  it('check finds a tampered and an extra object, `wharf check` lists them, and a rebuild repairs', async () => {
    expect(await s.writer.check()).toEqual([]);
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'copy/in/_b/in_bucket', Body: '{"name":"In_Bucket","vers":"6.6.6"}\n' }));
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'copy/zz/zz/zzzz', Body: 'no such crate\n' }));
    expect((await s.writer.check()).map((p) => `${p.kind} ${p.path}`)).toEqual(['stale in/_b/in_bucket', 'extra zz/zz/zzzz']);
    const report = await checkRegistry(s.t.runtime.ctx, { graceMs: 3_600_000, repair: false });
    expect(report.problems.filter((p) => p.kind === 'static').map((p) => p.key)).toEqual(['in/_b/in_bucket', 'zz/zz/zzzz']);
    const rebuilt = await s.writer.sync({ rewrite: true });
    await s.writer.idle();
    expect(rebuilt.removed).toEqual(['zz/zz/zzzz']);
    expect(await s.writer.check()).toEqual([]);
  });

  it('stores the file of a version with build metadata under the path a `+` in its URL reads as, too, so the URL cargo builds is served', async () => {
    await s.t.publish(s.token, { name: 'Meta_Plus', vers: '1.0.0+build.5' });
    await s.writer.idle();
    const { cksum } = JSON.parse((await file('me/ta/meta_plus')).bytes.toString()) as { cksum: string };
    for (const version of ['1.0.0+build.5', '1.0.0 build.5']) {
      const crate = await file(`crates/Meta_Plus/${version}/${cksum}.crate`);
      expect(createHash('sha256').update(crate.bytes).digest('hex')).toBe(cksum);
    }
    // The URL of cargo's `dl` template, unencoded, as cargo asks for it: s3rver reads the `+` as it is, S3 as a
    // space (the second file above); either way it is served, and the copy has no file check calls extra.
    const served = await fetch(`${s3.endpoint}/${bucket}/copy/crates/Meta_Plus/1.0.0+build.5/${cksum}.crate`);
    expect(served.status).toBe(200);
    expect(createHash('sha256').update(Buffer.from(await served.arrayBuffer())).digest('hex')).toBe(cksum);
    expect(await s.writer.check()).toEqual([]);
    expect((await s.writer.sync({ rewrite: false })).removed).toEqual([]);
  });

  it('writes to a bucket only when static_index_bucket names one', async () => {
    expect(s.writer.target).toBeInstanceOf(BucketTarget);
    expect(s.writer.target.describe).toBe(`bucket "${bucket}" under "copy/" at ${s3.endpoint}`);
    expect(createStaticIndex({ ...s.t.runtime.ctx, config: { ...s.t.runtime.ctx.config, staticIndexBucket: null } })).toBeNull();
  });
});
