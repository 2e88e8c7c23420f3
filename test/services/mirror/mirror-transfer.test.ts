import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MirrorManifest } from '../../../src/core/mirror-manifest.js';
import { findMirrorIndexFile } from '../../../src/db/repositories/mirror.repository.js';
import { exportMirror, importMirror } from '../../../src/services/mirror/mirror-transfer.service.js';
import { StaticRegistry } from '../../helpers/static-registry.js';
import { createTestApp, type TestApp } from '../../helpers/test-app.js';

/** An export folder is carried by hand: whatever its manifest claims beyond its checksums is not trusted. */
describe('mirror import of a tampered folder', () => {
  let upstream: StaticRegistry;
  let source: TestApp;
  let genuine: string;
  const dirs: string[] = [];

  const folder = () => {
    const dir = mkdtempSync(join(tmpdir(), 'wharf-export-'));
    dirs.push(dir);
    return dir;
  };
  const manifestOf = (dir: string) => JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as MirrorManifest;

  /** A copy of the genuine export with leaf's index file rewritten by `edit`, and the manifest made to match. */
  const tampered = (edit: (body: string) => string, manifestEdit: (m: MirrorManifest) => void = () => undefined): string => {
    const dir = folder();
    const manifest = manifestOf(genuine);
    for (const f of [...manifest.index_files, ...manifest.crate_files]) {
      const bytes = readFileSync(join(genuine, f.path));
      const out = f.path.endsWith('/leaf') ? Buffer.from(edit(bytes.toString('utf8'))) : bytes;
      rmSync(join(dir, f.path), { force: true });
      writeIn(dir, f.path, out);
      f.sha256 = createHash('sha256').update(out).digest('hex');
      f.size = out.length;
    }
    manifestEdit(manifest);
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
    return dir;
  };
  const yankAll = (body: string) => body.replaceAll('"yanked":false', '"yanked":true');

  beforeAll(async () => {
    upstream = await new StaticRegistry().start();
    await upstream.publish({ name: 'leaf', vers: '1.0.0' });
    source = await createTestApp({ mirrorUpstream: upstream.indexUrl });
    for (const url of ['/mirror/index/le/af/leaf', '/mirror/api/v1/crates/leaf/1.0.0/download']) {
      expect((await source.app.inject({ method: 'GET', url })).statusCode).toBe(200);
    }
    await source.runtime.mirror!.crates.idle();
    genuine = folder();
    rmSync(genuine, { recursive: true });
    await exportMirror(source.runtime.ctx, genuine, []);
    expect(manifestOf(genuine).index_files[0]?.upstream_etag).toMatch(/^"/);
  });
  afterAll(async () => {
    await source.close();
    await upstream.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('imports no validators and has an online mirror replace a tampered line with the upstream one at the next read', async () => {
    const t = await createTestApp({ mirrorUpstream: upstream.indexUrl });
    try {
      const dir = tampered(yankAll, (m) => {
        for (const f of m.index_files) f.checked_at = '9999-01-01T00:00:00.000Z';
      });
      await importMirror(t.runtime.ctx, dir);
      const row = await findMirrorIndexFile(t.runtime.ctx.db, 'leaf');
      expect(row?.body).toContain('"yanked":true');
      expect(row?.upstream_etag).toBeNull();
      expect(row?.upstream_last_modified).toBeNull();
      upstream.requests.length = 0;
      const res = await t.app.inject({ method: 'GET', url: '/mirror/index/le/af/leaf' });
      expect(res.statusCode).toBe(200);
      expect(res.body).toBe(upstream.indexFile('leaf'));
      // A full fetch: nothing the folder said could let a 304 confirm its bytes.
      expect(upstream.requests).toEqual([{ path: '/index/le/af/leaf', ifNoneMatch: undefined }]);
    } finally {
      await t.close();
    }
  });

  it('clamps a check time in the future, so a later genuine import replaces the file', async () => {
    const t = await createTestApp({ mirrorOffline: true });
    try {
      await importMirror(t.runtime.ctx, tampered(yankAll, (m) => void m.index_files.forEach((f) => (f.checked_at = '9999-01-01T00:00:00.000Z'))));
      const row = await findMirrorIndexFile(t.runtime.ctx.db, 'leaf');
      expect(Date.parse(row!.checked_at)).toBeLessThanOrEqual(t.clock.now().getTime());
      t.clock.advance(3_600_000);
      const later = tampered((body) => body, (m) => void m.index_files.forEach((f) => (f.checked_at = new Date(t.clock.now().getTime() - 1000).toISOString())));
      const report = await importMirror(t.runtime.ctx, later);
      expect(report.indexFiles).toBe(1);
      expect((await findMirrorIndexFile(t.runtime.ctx.db, 'leaf'))?.body).toBe(upstream.indexFile('leaf'));
    } finally {
      await t.close();
    }
  });

  it("refuses a folder exported from another upstream than this Wharf's, and an offline Wharf without one takes any", async () => {
    const other = tampered((body) => body, (m) => void (m.upstream = 'https://elsewhere.example/index/'));
    const online = await createTestApp({ mirrorUpstream: upstream.indexUrl });
    try {
      await expect(importMirror(online.runtime.ctx, other)).rejects.toThrow(
        `it was exported from a mirror of https://elsewhere.example/index/, but this Wharf mirrors ${upstream.indexUrl}`,
      );
      expect(await findMirrorIndexFile(online.runtime.ctx.db, 'leaf')).toBeUndefined();
    } finally {
      await online.close();
    }
    const offline = await createTestApp({ mirrorOffline: true });
    try {
      expect((await importMirror(offline.runtime.ctx, other)).indexFiles).toBe(1);
      const row = await findMirrorIndexFile(offline.runtime.ctx.db, 'leaf');
      expect([row?.display_name, row?.latest_version, Number(row?.num_versions)]).toEqual(['leaf', '1.0.0', 1]);
    } finally {
      await offline.close();
    }
  });
});

function writeIn(dir: string, path: string, data: Buffer): void {
  const target = join(dir, path);
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, data);
}
