import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syncMirror } from '../../../src/services/mirror/mirror-sync.service.js';
import { StaticRegistry } from '../../helpers/static-registry.js';
import { createTestApp, type TestApp } from '../../helpers/test-app.js';

describe('wharf mirror sync', () => {
  let upstream: StaticRegistry;
  let t: TestApp;

  beforeAll(async () => {
    upstream = await new StaticRegistry().start();
    await upstream.publish({ name: 'leaf', vers: '1.0.0' });
    await upstream.publish({ name: 'odd', vers: '1.0.0' });
    await upstream.publish({ name: 'stem', vers: '1.0.0', deps: { odd: 'not a requirement', leaf: '^1' } });
    t = await createTestApp({ mirrorUpstream: upstream.indexUrl });
  });
  afterAll(async () => {
    await t.close();
    await upstream.stop();
  });

  it('records a dependency requirement it cannot read as one failure and syncs the rest', async () => {
    const report = await syncMirror(t.runtime.mirror!, { lockfiles: [], crates: ['stem'] });
    expect(report.failures).toHaveLength(1);
    expect(report.failures[0]).toMatch(/^odd not a requirement: /);
    expect(report.versions).toBe(2);
    expect(upstream.count('/files/le/af/leaf/leaf-1.0.0.crate')).toBe(1);
  });
});
