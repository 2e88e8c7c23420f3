import { afterAll, beforeAll } from 'vitest';
import type { Config } from '../../src/config/config.js';
import type { StaticIndex } from '../../src/services/static-index/static-index.service.js';
import { createTestApp, type TestApp } from './test-app.js';

export interface StaticWriterApp {
  t: TestApp;
  writer: StaticIndex;
  /** alice's, allowed to publish and yank. */
  token: string;
}

/**
 * Per describe: a test app whose settings (`settings`, asked for in beforeAll) name a static
 * copy, with its writer started, and a publisher's token; stopped and closed after the tests.
 */
export function staticWriterApp(settings: () => Promise<Partial<Config>> | Partial<Config>): StaticWriterApp {
  const s = {} as StaticWriterApp;
  beforeAll(async () => {
    s.t = await createTestApp({ logLevel: 'silent', ...(await settings()) });
    s.writer = s.t.runtime.staticIndex!;
    await s.writer.start();
    ({ token: s.token } = await s.t.userWithToken('alice', { scopes: ['publish-new', 'publish-update', 'yank', 'read'] }));
  });
  afterAll(async () => {
    await s.writer?.stop();
    await s.t?.close();
  });
  return s;
}
