import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishBody } from '../../helpers/crate-builder.js';
import { type S3Server, s3Config, startS3Server } from '../../helpers/s3-server.js';
import { createTestApp, type TestApp } from '../../helpers/test-app.js';

const detail = (body: string) => (JSON.parse(body) as { errors: Array<{ detail: string }> }).errors[0]?.detail ?? '';

/**
 * A bucket that goes away under a running registry: clear 5xx answers, never a bare 500. The client
 * is told what failed in general terms; the bucket, its address and the key are for the log.
 */
describe('the object store failing under the API', () => {
  let s3: S3Server;
  let t: TestApp;
  let token: string;

  beforeAll(async () => {
    s3 = await startS3Server();
    t = await createTestApp({ ...s3Config(s3.endpoint, await s3.createBucket()), logLevel: 'warn' });
    ({ token } = await t.userWithToken('alice'));
    await t.publish(token, { name: 'before-outage', vers: '1.0.0' });
  });
  afterAll(async () => {
    await t.close();
    await s3.close();
  });

  it('answers 503 for a publish and a download while the service is down, naming the bucket only in the log, and nothing is half-published', async () => {
    const bucket = t.config.s3Bucket!;
    await s3.close();
    const publish = await t.app.inject({ method: 'PUT', url: '/api/v1/crates/new', payload: await publishBody({ name: 'during-outage', vers: '1.0.0' }), headers: { authorization: token } });
    expect(publish.statusCode).toBe(503);
    expect(detail(publish.body)).toBe("the registry's object storage cannot be reached; try again later, or tell the registry's administrator");
    for (const secret of [bucket, s3.endpoint, '127.0.0.1', 'crates/']) expect(publish.body).not.toContain(secret);
    expect(t.logs.join('')).toMatch(/the object store \(bucket \\"wharf-[0-9a-f]+\\" at http:\/\/127\.0\.0\.1:\d+\) failed to store crates\/during_outage\/.*cannot be reached \(ECONNREFUSED\)/);
    expect(publish.headers['retry-after']).toBe('5');
    const rows = await t.runtime.ctx.db.selectFrom('crates').select('name').where('name', '=', 'during-outage').execute();
    expect(rows).toEqual([]);

    const download = await t.app.inject({ method: 'GET', url: '/api/v1/crates/before-outage/1.0.0/download' });
    expect(download.statusCode).toBe(503);
    expect(detail(download.body)).toBe("the registry's object storage cannot be reached; try again later, or tell the registry's administrator");
    for (const secret of [bucket, s3.endpoint, '127.0.0.1', 'crates/']) expect(download.body).not.toContain(secret);
    expect(t.logs.join('')).toMatch(/bucket \\"wharf-[0-9a-f]+\\".*failed to read crates\/before_outage\/.*cannot be reached/);
  });

  it('answers 504 when the service takes too long, within the bounds of the store', async () => {
    const stuck = createServer(() => undefined);
    await new Promise<void>((resolve) => stuck.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(stuck.address() as AddressInfo).port}`;
    const { S3BlobStore } = await import('../../../src/storage/s3-blob-store.js');
    const store = new S3BlobStore({ bucket: 'slow', prefix: '', region: 'us-east-1', endpoint, forcePathStyle: true, credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'unused' }, presignSeconds: 60, requestTimeoutMs: 200, maxAttempts: 1 });
    const app = await createTestApp({ logLevel: 'warn' });
    try {
      const { token: other } = await app.userWithToken('bob');
      // The same registry, its files now behind the stuck service.
      Object.assign(app.runtime.ctx, { blobs: store });
      const res = await app.app.inject({ method: 'PUT', url: '/api/v1/crates/new', payload: await publishBody({ name: 'slow-one', vers: '1.0.0' }), headers: { authorization: other } });
      expect(res.statusCode).toBe(504);
      expect(detail(res.body)).toBe("the registry's object storage did not answer in time; try again");
      expect(res.body).not.toContain('slow');
      expect(app.logs.join('')).toMatch(/bucket \\"slow\\".*did not answer in time/);
    } finally {
      store.close();
      await app.close();
      stuck.closeAllConnections();
      stuck.close();
    }
  });
});
