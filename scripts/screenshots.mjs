#!/usr/bin/env node
// `npm run screenshots [-- DIR]`: PNGs of the main pages (home, search, crate, version, /me,
// admin) in the light and dark schemes at 390 and 1280 px, for a reviewer to look at. Not a
// pass/fail test: it runs test/browser/screenshots.test.ts, which does nothing without this.
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

const out = resolve(process.argv[2] ?? 'screenshots');
const result = spawnSync('npx', ['vitest', 'run', 'test/browser/screenshots.test.ts'], {
  stdio: 'inherit',
  env: { ...process.env, WHARF_SCREENSHOTS: out },
});
if (result.status === 0) console.log(`screenshots are in ${out}`);
process.exit(result.status ?? 1);
