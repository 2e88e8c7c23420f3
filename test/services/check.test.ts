import { buffer } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkRegistry } from '../../src/services/check.service.js';
import type { BlobInfo, BlobStore } from '../../src/storage/blob-store.js';
import { crateFileKey } from '../../src/storage/keys.js';
import { publishBody } from '../helpers/crate-builder.js';
import { createTestApp, type TestApp } from '../helpers/test-app.js';

const HOUR = 60 * 60_000;

/**
 * The registry's own store (the folder, or the bucket on the S3 pass), with the last-change times
 * of some keys moved into the past: a bucket's times cannot be set, and orphans are judged by age.
 */
function agedStore(store: BlobStore, ages: Map<string, number>): BlobStore {
  const aged = (info: BlobInfo): BlobInfo => {
    const age = ages.get(info.key);
    return age === undefined ? info : { ...info, modifiedAt: new Date(Date.now() - age) };
  };
  return {
    put: (key, data) => store.put(key, data),
    get: (key) => store.get(key),
    delete: (key) => store.delete(key),
    exists: (key) => store.exists(key),
    async *list(prefix) {
      for await (const info of store.list(prefix)) yield aged(info);
    },
    stat: async (key) => {
      const info = await store.stat(key);
      return info && aged(info);
    },
  };
}

describe('checkRegistry (wharf check)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ logLevel: 'silent' });
    const { token } = await t.userWithToken('alice');
    for (const [name, vers] of [['alpha', '1.0.0'], ['alpha', '1.1.0'], ['beta', '0.1.0'], ['gamma', '2.0.0']] as const) {
      const res = await t.app.inject({ method: 'PUT', url: '/api/v1/crates/new', payload: await publishBody({ name, vers }), headers: { authorization: token } });
      expect(res.statusCode).toBe(200);
    }
    await t.app.inject({ method: 'DELETE', url: '/api/v1/crates/alpha/1.0.0/yank', headers: { authorization: token } });
  });
  afterAll(() => t.close());

  const ages = new Map<string, number>();
  const blobs = () => t.runtime.ctx.blobs;
  const check = (repair = false) => checkRegistry({ ...t.runtime.ctx, blobs: agedStore(blobs(), ages) }, { graceMs: HOUR, repair });
  const keyOf = async (name: string, num: string) => {
    const v = await t.runtime.ctx.db.selectFrom('versions').innerJoin('crates', 'crates.id', 'versions.crate_id').select(['crates.name', 'versions.num', 'versions.checksum']).where('crates.name', '=', name).where('versions.num', '=', num).executeTakeFirstOrThrow();
    return crateFileKey(v.name, v.num, v.checksum);
  };
  const put = async (key: string, body: string, ageMs: number) => {
    await blobs().put(key, Buffer.from(body));
    ages.set(key, ageMs);
  };
  const read = async (key: string) => buffer((await blobs().get(key))!.stream);

  it('finds nothing wrong in a consistent registry', async () => {
    const report = await check();
    expect(report.problems).toEqual([]);
    expect([report.crates, report.versions, report.files]).toEqual([3, 4, 4]);
  });

  it('reports a missing file, a file with other bytes, and orphans by age', async () => {
    const missing = await keyOf('beta', '0.1.0');
    const changed = await keyOf('gamma', '2.0.0');
    const saved = { beta: await read(missing), gamma: await read(changed) };
    await blobs().delete(missing);
    // Over the published file (s3rver, like the folder store here, lets a test replace an object).
    await blobs().delete(changed);
    await put(changed, 'not the published bytes', 0);
    await put('crates/alpha/alpha-9.9.9-0123456789abcdef.crate', 'old orphan', 2 * HOUR);
    await put('crates/alpha/alpha-1.2.0-0123456789abcdef.crate.1a2b3c.tmp', 'old half-written temp file', 3 * HOUR);
    await put('crates/delta/delta-1.0.0-fedcba9876543210.crate', 'young orphan: a publish in flight', 60_000);

    const report = await check();
    expect(report.problems.map((p) => `${p.kind} ${p.key}`).sort()).toEqual([
      `missing-file ${missing}`,
      'orphan crates/alpha/alpha-1.2.0-0123456789abcdef.crate.1a2b3c.tmp',
      'orphan crates/alpha/alpha-9.9.9-0123456789abcdef.crate',
      `wrong-file ${changed}`,
    ]);
    expect(report.youngOrphans.map((o) => o.key)).toEqual(['crates/delta/delta-1.0.0-fedcba9876543210.crate']);
    expect(report.problems.find((p) => p.kind === 'wrong-file')?.message).toMatch(/has 23 bytes and sha256 [0-9a-f]{64}, but the database recorded \d+ bytes/);

    // --repair removes the old orphans only, and can only report the missing and changed files.
    const repaired = await check(true);
    expect(repaired.removed.sort()).toEqual(['crates/alpha/alpha-1.2.0-0123456789abcdef.crate.1a2b3c.tmp', 'crates/alpha/alpha-9.9.9-0123456789abcdef.crate']);
    expect(repaired.problems.map((p) => p.kind)).toEqual(['missing-file', 'wrong-file']);
    expect(repaired.youngOrphans).toHaveLength(1);

    await blobs().put(missing, saved.beta);
    await blobs().delete(changed);
    await blobs().put(changed, saved.gamma);
    await blobs().delete('crates/delta/delta-1.0.0-fedcba9876543210.crate');
    expect((await check()).problems).toEqual([]);
  });

  it('reports a crate whose index file cannot be rendered from its rows', async () => {
    const { db } = t.runtime.ctx;
    const version = await db.selectFrom('versions').select(['id', 'features']).where('num', '=', '1.1.0').executeTakeFirstOrThrow();
    await db.updateTable('versions').set({ features: '{not json' }).where('id', '=', version.id).execute();
    try {
      const report = await check();
      expect(report.problems.map((p) => [p.kind, p.crate])).toEqual([['index', 'alpha']]);
      expect(report.problems[0]!.message).toContain('does not render');
    } finally {
      await db.updateTable('versions').set({ features: version.features }).where('id', '=', version.id).execute();
    }
  });

});
