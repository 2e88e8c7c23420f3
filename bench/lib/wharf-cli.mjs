#!/usr/bin/env node
// Runs the `wharf` command line from the benchmark's private build (WHARF_BENCH_BUILD), exactly
// as bin/wharf.js runs it from dist/.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const build = process.env.WHARF_BENCH_BUILD;
if (!build) {
  process.stderr.write('wharf-cli: WHARF_BENCH_BUILD is not set\n');
  process.exit(2);
}
const { main } = await import(pathToFileURL(join(build, 'main.js')).href);
main(process.argv).catch((err) => {
  process.stderr.write(`wharf: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
