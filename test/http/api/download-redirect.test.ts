import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type S3Server, s3Config, startS3Server } from '../../helpers/s3-server.js';
import { startLiveServer } from '../../helpers/live-server.js';
import { StaticRegistry } from '../../helpers/static-registry.js';
import { createTestApp, type TestApp } from '../../helpers/test-app.js';
import { deleteVersion } from '../../../src/services/crate-deletion/crate-deletion.service.js';
import { removeFromMirror } from '../../../src/services/mirror/mirror-admin.service.js';

/** `downloads = "redirect"`: a checked, counted 302 to a presigned URL of the bucket. */
describe('downloads = "redirect"', () => {
  let s3: S3Server;
  let upstream: StaticRegistry;
  let t: TestApp;

  beforeAll(async () => {
    s3 = await startS3Server();
    upstream = await new StaticRegistry().start();
    t = await createTestApp({
      ...s3Config(s3.endpoint, await s3.createBucket()),
      downloads: 'redirect',
      s3PresignSeconds: 120,
      authRequired: true,
      mirrorUpstream: upstream.indexUrl,
    });
  });
  afterAll(async () => {
    await t.close();
    await upstream.stop();
    await s3.close();
  });

  const download = (url: string, token?: string) => t.app.inject({ method: 'GET', url, headers: token ? { authorization: token } : {} });

  it('answers 302 to a short-lived URL that serves the exact bytes, and counts every download', async () => {
    const { token } = await t.userWithToken('alice');
    await t.publish(token, { name: 'far-away', vers: '1.0.0' });
    const { checksum } = await t.runtime.ctx.db.selectFrom('versions').select('checksum').where('num', '=', '1.0.0').executeTakeFirstOrThrow();

    for (let i = 0; i < 3; i++) {
      const res = await download('/api/v1/crates/far-away/1.0.0/download', token);
      expect(res.statusCode, res.body).toBe(302);
      expect(res.headers['cache-control']).toBe('private, no-store');
      const location = String(res.headers.location);
      expect(location).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/wharf-[0-9a-f]+\/crates\/far_away\/far-away-1\.0\.0-[0-9a-f]{16}\.crate\?/);
      expect(location).toContain('X-Amz-Expires=120');
      const file = await fetch(location);
      expect(file.status).toBe(200);
      expect(createHash('sha256').update(Buffer.from(await file.arrayBuffer())).digest('hex')).toBe(checksum);
    }
    await t.runtime.downloads.flush();
    const row = await t.runtime.ctx.db.selectFrom('crates').select('downloads').where('name', '=', 'far-away').executeTakeFirstOrThrow();
    expect(Number(row.downloads)).toBe(3);
  });

  it('refuses a revoked or missing token instead of redirecting, and counts nothing', async () => {
    const { token } = await t.userWithToken('bob');
    await t.publish(token, { name: 'guarded', vers: '1.0.0' });
    await t.app.inject({ method: 'DELETE', url: '/api/v1/tokens/current', headers: { authorization: token } });
    const revoked = await download('/api/v1/crates/guarded/1.0.0/download', token);
    expect(revoked.statusCode).toBe(401);
    expect(revoked.headers.location).toBeUndefined();
    const anonymous = await download('/api/v1/crates/guarded/1.0.0/download');
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.headers.location).toBeUndefined();
    const unknown = await download('/api/v1/crates/guarded/9.9.9/download', (await t.tokenFor(1)).token);
    expect(unknown.statusCode).toBe(404);
    await t.runtime.downloads.flush();
    const row = await t.runtime.ctx.db.selectFrom('crates').select('downloads').where('name', '=', 'guarded').executeTakeFirstOrThrow();
    expect(Number(row.downloads)).toBe(0);
  });

  it("answers 404 for a version another instance deleted, though this one remembers its location, and names the file as the database spells it", async () => {
    const { token } = await t.userWithToken('gina');
    await t.publish(token, { name: 'Two-Lives', vers: '1.0.0' });
    await t.publish(token, { name: 'Two-Lives', vers: '1.1.0' });
    const first = await download('/api/v1/crates/two-LIVES/1.0.0/download', token);
    expect(first.statusCode).toBe(302);
    const disposition = new URL(String(first.headers.location)).searchParams.get('response-content-disposition');
    expect(disposition).toBe('attachment; filename="Two-Lives-1.0.0.crate"');
    expect((await fetch(String(first.headers.location))).headers.get('content-disposition')).toBe(disposition);

    // Deleted through the service on its own, as another instance or the CLI would: no change reaches this server.
    await deleteVersion(t.runtime.ctx, { actor: null }, 'Two-Lives', '1.0.0');
    const gone = await download('/api/v1/crates/two-LIVES/1.0.0/download', token);
    expect(gone.statusCode, gone.body).toBe(404);
    expect(gone.headers.location).toBeUndefined();
    expect((await download('/api/v1/crates/two-lives/1.1.0/download', token)).statusCode).toBe(302);
    await t.runtime.downloads.flush();
    const row = await t.runtime.ctx.db.selectFrom('crates').select('downloads').where('name', '=', 'Two-Lives').executeTakeFirstOrThrow();
    expect(Number(row.downloads)).toBe(2);
  });

  it('still answers a JSON request with the download URL, not a redirect', async () => {
    const { token } = await t.userWithToken('carol');
    await t.publish(token, { name: 'json-asker', vers: '1.0.0' });
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/crates/json-asker/1.0.0/download', headers: { authorization: token, accept: 'application/json' } });
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ url: 'http://wharf.test/api/v1/crates/json-asker/1.0.0/download' });
  });

  it("sends the mirror's first download itself, and redirects once the file is in the bucket", async () => {
    const { token } = await t.userWithToken('dave');
    const published = await upstream.publish({ name: 'upstream-thing', vers: '1.0.0' });
    expect((await download('/mirror/index/up/st/upstream-thing', token)).statusCode).toBe(200);
    const first = await download('/mirror/api/v1/crates/upstream-thing/1.0.0/download', token);
    expect(first.statusCode).toBe(200);
    expect(first.rawPayload).toEqual(published.bytes);
    await t.runtime.mirror!.crates.idle();
    const second = await download('/mirror/api/v1/crates/upstream-thing/1.0.0/download', token);
    expect(second.statusCode).toBe(302);
    const file = await fetch(String(second.headers.location));
    expect(Buffer.from(await file.arrayBuffer())).toEqual(published.bytes);
    expect(upstream.count('/files/')).toBe(1);
    await t.runtime.mirror!.activity.flush();
    const row = await t.runtime.ctx.db.selectFrom('mirror_crate_files').select('downloads').where('name', '=', 'upstream-thing').executeTakeFirstOrThrow();
    expect(Number(row.downloads)).toBe(2);
    const refused = await download('/mirror/api/v1/crates/upstream-thing/1.0.0/download');
    expect(refused.statusCode).toBe(401);
  });

  it('sends a mirrored version removed by `wharf mirror remove` elsewhere from the upstream again, never a 302 to the missing object', async () => {
    const { token } = await t.userWithToken('frank');
    const published = await upstream.publish({ name: 'removed-thing', vers: '1.0.0' });
    expect((await download('/mirror/index/re/mo/removed-thing', token)).statusCode).toBe(200);
    expect((await download('/mirror/api/v1/crates/removed-thing/1.0.0/download', token)).statusCode).toBe(200);
    await t.runtime.mirror!.crates.idle();
    const before = await download('/mirror/api/v1/crates/removed-thing/1.0.0/download', token);
    expect(before.statusCode).toBe(302);
    await t.runtime.mirror!.activity.flush();
    // The command's own context: this server's remembered key is not told.
    await removeFromMirror(t.runtime.ctx, 'removed-thing@1.0.0');
    expect((await fetch(String(before.headers.location))).status).toBe(404);

    const after = await download('/mirror/api/v1/crates/removed-thing/1.0.0/download', token);
    expect(after.statusCode).toBe(200);
    expect(after.rawPayload).toEqual(published.bytes);
    expect(upstream.count('/removed-thing-1.0.0.crate')).toBe(2);
    await t.runtime.mirror!.crates.idle();
    const again = await download('/mirror/api/v1/crates/removed-thing/1.0.0/download', token);
    expect(again.statusCode).toBe(302);
    expect(Buffer.from(await (await fetch(String(again.headers.location))).arrayBuffer())).toEqual(published.bytes);
    await t.runtime.mirror!.activity.flush();
    // The row written again counts its own downloads: the refetch and the redirect after it.
    const row = await t.runtime.ctx.db.selectFrom('mirror_crate_files').select('downloads').where('name', '=', 'removed-thing').executeTakeFirstOrThrow();
    expect(Number(row.downloads)).toBe(2);
  });

  it('over a socket too (where the fast paths answer): every download is checked, redirected and counted', async () => {
    const live = await startLiveServer({ ...s3Config(s3.endpoint, await s3.createBucket()), downloads: 'redirect', authRequired: true });
    try {
      const { token } = await live.userWithToken('erin');
      await live.publish(token, { name: 'socket-thing', vers: '1.0.0' });
      const url = `${live.url}/api/v1/crates/socket-thing/1.0.0/download`;
      // Keep-alive requests on one connection: the ones a fast path would take after the first.
      for (let i = 0; i < 4; i++) {
        const res = await fetch(url, { headers: { authorization: token }, redirect: 'manual' });
        expect(res.status).toBe(302);
        await res.arrayBuffer();
      }
      await live.app.inject({ method: 'DELETE', url: '/api/v1/tokens/current', headers: { authorization: token } });
      const refused = await fetch(url, { headers: { authorization: token }, redirect: 'manual' });
      expect(refused.status).toBe(401);
      expect(refused.headers.get('location')).toBeNull();
      await live.runtime.downloads.flush();
      const row = await live.runtime.ctx.db.selectFrom('crates').select('downloads').where('name', '=', 'socket-thing').executeTakeFirstOrThrow();
      expect(Number(row.downloads)).toBe(4);
    } finally {
      await live.close();
    }
  });
});
