import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { text } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/core/errors.js';
import { S3BlobStore, type S3StoreOptions } from '../../src/storage/s3-blob-store.js';
import { S3_CREDENTIALS, type S3Server, startS3Server } from '../helpers/s3-server.js';

function options(endpoint: string, bucket: string, more: Partial<S3StoreOptions> = {}): S3StoreOptions {
  return { bucket, prefix: '', region: 'us-east-1', endpoint, forcePathStyle: true, credentials: S3_CREDENTIALS, presignSeconds: 120, ...more };
}

async function failure(promise: Promise<unknown>): Promise<AppError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

/** An HTTP server on 127.0.0.1 answering every request with `handle`. */
async function fakeService(handle: Parameters<typeof createServer>[1]): Promise<{ endpoint: string; server: Server }> {
  const server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe('S3BlobStore against s3rver', () => {
  let s3: S3Server;
  let store: S3BlobStore;
  let bucket: string;

  beforeAll(async () => {
    s3 = await startS3Server();
    bucket = await s3.createBucket();
    store = new S3BlobStore(options(s3.endpoint, bucket, { prefix: 'reg/', listPageSize: 7 }));
  });
  afterAll(async () => {
    store.close();
    await s3.close();
  });

  it('stores, reads back as a stream, stats, lists, and deletes', async () => {
    const key = 'crates/alpha/alpha-1.0.0-0123456789abcdef.crate';
    expect(await store.get(key)).toBeNull();
    expect(await store.stat(key)).toBeNull();
    expect(await store.exists(key)).toBe(false);

    await store.put(key, Buffer.from('the bytes of alpha'));
    const file = await store.get(key);
    expect(file?.size).toBe(18);
    expect(await text(file!.stream)).toBe('the bytes of alpha');
    const info = await store.stat(key);
    expect(info).toMatchObject({ key, size: 18 });
    expect(info!.modifiedAt.getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect(await store.exists(key)).toBe(true);
    expect(store.readNow()).toBeUndefined();

    // The same bytes again (a racing instance): accepted, nothing changes.
    await store.put(key, Buffer.from('the bytes of alpha'));
    expect((await store.stat(key))?.size).toBe(18);

    await store.delete(key);
    expect(await store.exists(key)).toBe(false);
    await store.delete(key);
  });

  it('pages through every key of a prefix, and only under its own prefix', async () => {
    const other = new S3BlobStore(options(s3.endpoint, bucket, { prefix: 'other/' }));
    await other.put('crates/zeta/zeta-1.0.0-0000000000000000.crate', Buffer.from('z'));
    const keys: string[] = [];
    for (let i = 0; i < 25; i++) keys.push(`crates/many/many-1.0.${i}-0123456789abcdef.crate`);
    for (const key of keys) await store.put(key, Buffer.from(key));
    await store.put('mirror/x/x-1.0.0-0123456789abcdef.crate', Buffer.from('m'));

    const listed = [];
    for await (const info of store.list('crates/')) listed.push(info);
    // 25 keys at 7 a page: four pages.
    expect(listed.map((i) => i.key).sort()).toEqual([...keys].sort());
    expect(listed.every((i) => i.size === i.key.length)).toBe(true);
    const mirror = [];
    for await (const info of store.list('mirror/')) mirror.push(info.key);
    expect(mirror).toEqual(['mirror/x/x-1.0.0-0123456789abcdef.crate']);
    other.close();
  });

  it('refreshes an existing object by copying it onto itself, which the service accepts and which keeps its bytes', async () => {
    // s3rver neither honours If-None-Match on a PUT nor moves LastModified on a copy: this checks the
    // request is valid. (Nor does it decode a `+` sent as %2B in the copy's source, as S3 does.)
    const key = 'crates/beta/beta-1.0.0-0123456789abcdef.crate';
    await store.put(key, Buffer.from('the bytes of beta'));
    await (store as unknown as { touch(key: string): Promise<void> }).touch(key);
    expect(await text((await store.get(key))!.stream)).toBe('the bytes of beta');
    await store.delete(key);
  });

  it('signs a URL that downloads the exact bytes, named as the crate', async () => {
    const bytes = Buffer.from([0x1f, 0x8b, 0, 1, 2, 3, 255]);
    await store.put('crates/signed/signed-1.0.0-0123456789abcdef.crate', bytes);
    const url = await store.signedUrl('crates/signed/signed-1.0.0-0123456789abcdef.crate', 'signed-1.0.0.crate');
    expect(url).toContain('X-Amz-Expires=120');
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="signed-1.0.0.crate"');
    expect(Buffer.from(await res.arrayBuffer())).toEqual(bytes);
  });

  it('refuses keys that leave the store', async () => {
    await expect(store.put('../escape', Buffer.from('x'))).rejects.toThrow(/escapes/);
  });

  it('names the missing bucket in a 502', async () => {
    const lost = new S3BlobStore(options(s3.endpoint, 'no-such-bucket'));
    const err = await failure(lost.put('crates/a/a-1.0.0-0123456789abcdef.crate', Buffer.from('a')));
    expect(err.status).toBe(502);
    expect(err.logDetail).toMatch(/bucket "no-such-bucket".*does not exist/);
    const listing = await failure((async () => {
      for await (const _ of lost.list('crates/')) void _;
    })());
    expect(listing.status).toBe(502);
    lost.close();
  });
});

describe('S3BlobStore when the service fails', () => {
  it('answers 503 naming the bucket when nothing listens', async () => {
    const { endpoint, server } = await fakeService(() => undefined);
    server.close();
    const store = new S3BlobStore(options(endpoint, 'gone', { maxAttempts: 2 }));
    const err = await failure(store.get('crates/a/a-1.0.0-0123456789abcdef.crate'));
    expect(err.status).toBe(503);
    expect(err.logDetail).toMatch(/bucket "gone" at http:\/\/127\.0\.0\.1:\d+.*cannot be reached \(ECONNREFUSED\)/);
    expect(err.headers['retry-after']).toBe('5');
    store.close();
  });

  it('gives up with 504 on a service that accepts and never answers', async () => {
    let requests = 0;
    const { endpoint, server } = await fakeService(() => {
      requests++;
    });
    const store = new S3BlobStore(options(endpoint, 'stuck', { requestTimeoutMs: 300, maxAttempts: 2 }));
    const err = await failure(store.stat('crates/a/a-1.0.0-0123456789abcdef.crate'));
    expect(err.status).toBe(504);
    expect(err.logDetail).toMatch(/bucket "stuck".*did not answer in time/);
    // Bounded by attempts: the SDK tried exactly as often as it was allowed.
    expect(requests).toBe(2);
    store.close();
    server.closeAllConnections();
    server.close();
  });

  it('cuts off a read whose body trickles in past the deadline, though the socket is never idle', async () => {
    const { endpoint, server } = await fakeService((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-length': '100000', 'content-type': 'application/octet-stream' });
      const drip = setInterval(() => res.write('x'), 20);
      res.on('close', () => clearInterval(drip));
    });
    const store = new S3BlobStore(options(endpoint, 'trickle', { requestTimeoutMs: 5_000, deadlineMs: 400, maxAttempts: 1 }));
    const file = await store.get('crates/a/a-1.0.0-0123456789abcdef.crate');
    const err = await failure(file!.stream.toArray());
    expect(err.status).toBe(504);
    expect(err.detail).toBe("the registry's object storage did not answer in time; try again");
    expect(err.logDetail).toMatch(/bucket "trickle".*failed to read crates\/a\/.*no complete answer within 400 ms/);
    store.close();
    server.closeAllConnections();
    server.close();
  });

  it('gives up at the deadline on a request that waits, though the idle timeout is longer', async () => {
    let requests = 0;
    const { endpoint, server } = await fakeService(() => {
      requests++;
    });
    const store = new S3BlobStore(options(endpoint, 'waiting', { requestTimeoutMs: 60_000, deadlineMs: 300, maxAttempts: 3 }));
    const err = await failure(store.stat('crates/a/a-1.0.0-0123456789abcdef.crate'));
    expect(err.status).toBe(504);
    expect(err.logDetail).toMatch(/bucket "waiting".*no complete answer within 300 ms/);
    expect(requests).toBe(1);
    store.close();
    server.closeAllConnections();
    server.close();
  });

  it('says the credentials were refused, without printing the secret', async () => {
    const { endpoint, server } = await fakeService((req, res) => {
      req.resume();
      res.writeHead(403, { 'content-type': 'application/xml' }).end('<Error><Code>SignatureDoesNotMatch</Code><Message>no</Message></Error>');
    });
    const store = new S3BlobStore(options(endpoint, 'guarded', { maxAttempts: 1, credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'not-the-secret-xyz' } }));
    const err = await failure(store.put('crates/a/a-1.0.0-0123456789abcdef.crate', Buffer.from('a')));
    expect(err.status).toBe(502);
    expect(err.logDetail).toMatch(/bucket "guarded".*refused the registry's credentials/);
    expect(err.message).not.toContain('not-the-secret-xyz');
    store.close();
    server.close();
  });

  it('says when the registry has no credentials at all', async () => {
    const saved = { ...process.env };
    for (const name of Object.keys(process.env)) if (name.startsWith('AWS_')) delete process.env[name];
    process.env.AWS_SHARED_CREDENTIALS_FILE = '/nonexistent/credentials';
    process.env.AWS_CONFIG_FILE = '/nonexistent/config';
    process.env.AWS_EC2_METADATA_DISABLED = 'true';
    const { endpoint, server } = await fakeService((req, res) => res.writeHead(500).end());
    const store = new S3BlobStore(options(endpoint, 'anonymous', { maxAttempts: 1, credentials: null }));
    try {
      const err = await failure(store.stat('crates/a/a-1.0.0-0123456789abcdef.crate'));
      expect(err.status).toBe(502);
      expect(err.logDetail).toMatch(/bucket "anonymous".*has no credentials for it/);
    } finally {
      store.close();
      server.close();
      process.env = saved;
    }
  });

  it('answers 503 when the service reports its own failure', async () => {
    const { endpoint, server } = await fakeService((_req, res) => {
      res.writeHead(500, { 'content-type': 'application/xml' }).end('<Error><Code>InternalError</Code><Message>boom</Message></Error>');
    });
    const store = new S3BlobStore(options(endpoint, 'broken', { maxAttempts: 1 }));
    const err = await failure(store.put('crates/a/a-1.0.0-0123456789abcdef.crate', Buffer.from('a')));
    expect(err.status).toBe(503);
    expect(err.logDetail).toMatch(/bucket "broken".*answered 500/);
    store.close();
    server.close();
  });

  it('takes a 412 on a conditional write as "already there" when the size matches, giving the object a new LastModified, and refuses otherwise', async () => {
    const seen: string[] = [];
    const { endpoint, server } = await fakeService((req, res) => {
      const copy = req.headers['x-amz-copy-source'];
      seen.push(copy ? `COPY ${String(copy)} ${String(req.headers['x-amz-metadata-directive'])}` : `${req.method} ${req.headers['if-none-match'] ?? ''}`);
      req.resume();
      if (copy) res.writeHead(200, { 'content-type': 'application/xml' }).end(`<CopyObjectResult><LastModified>${new Date().toISOString()}</LastModified><ETag>"x"</ETag></CopyObjectResult>`);
      else if (req.method === 'PUT') res.writeHead(412, { 'content-type': 'application/xml' }).end('<Error><Code>PreconditionFailed</Code><Message>exists</Message></Error>');
      else res.writeHead(200, { 'content-length': '5', 'last-modified': new Date().toUTCString() }).end();
    });
    const store = new S3BlobStore(options(endpoint, 'raced', { maxAttempts: 1 }));
    await store.put('crates/a/a-1.0.0+b-0123456789abcdef.crate', Buffer.from('12345'));
    // The copy onto itself is what moves its LastModified past `wharf check --repair`'s grace period.
    expect(seen).toEqual(['PUT *', 'HEAD ', 'COPY raced/crates/a/a-1.0.0%2Bb-0123456789abcdef.crate REPLACE']);
    const err = await failure(store.put('crates/a/a-1.0.0-0123456789abcdef.crate', Buffer.from('123456')));
    expect(err.status).toBe(409);
    expect(err.logDetail).toMatch(/already holds .* with 5 bytes, not 6/);
    store.close();
    server.close();
  });
});

describe('S3BlobStore.probe (before `wharf serve` listens)', () => {
  it('passes on a bucket that exists and names one that does not', async () => {
    const s3 = await startS3Server();
    const good = new S3BlobStore(options(s3.endpoint, await s3.createBucket()));
    const missing = new S3BlobStore(options(s3.endpoint, 'never-created'));
    try {
      await good.probe();
      const err = await failure(missing.probe());
      expect(err.status).toBe(502);
      expect(err.logDetail).toMatch(/bucket "never-created".*failed to open the bucket: the bucket does not exist/);
    } finally {
      good.close();
      missing.close();
      await s3.close();
    }
  });
});
