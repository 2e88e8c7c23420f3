import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishBody } from '../helpers/crate-builder.js';
import { freePort } from '../helpers/live-server.js';
import { onPostgres } from '../helpers/test-db.js';
import { WharfServer, wharf } from '../helpers/wharf-process.js';

/**
 * Changes that reach the static copy without passing through the instance that writes it: made
 * by another instance (which has no static copy configured), by the CLI, and while the writing
 * instance was down. Two `wharf serve` processes on one database, the default change_poll_ms.
 */
describe(`the static copy follows changes made elsewhere (${onPostgres ? 'PostgreSQL' : 'SQLite'})`, () => {
  let dataDir: string;
  let staticDir: string;
  let env: Record<string, string>;
  let writer: WharfServer;
  let writerEnv: Record<string, string>;
  let writerUrl: string;
  let other: WharfServer;
  let otherUrl: string;
  let token: string;
  const file = () => join(staticDir, 'el/se/elsewhere');
  const versions = () => (existsSync(file()) ? readFileSync(file(), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { vers: string }).vers) : []);

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'wharf-static-instances-'));
    staticDir = join(dataDir, 'static');
    env = { WHARF_DATA_DIR: dataDir, WHARF_LOG_LEVEL: 'warn' };
    expect((await wharf(['migrate'], env)).code).toBe(0);
    expect((await wharf(['user', 'add', 'ops', '--admin'], env)).code).toBe(0);
    token = (await wharf(['token', 'create', 'ops', '--name', 'static'], env)).stdout.trimEnd().split('\n').at(-1)!;
    const writerPort = await freePort();
    writerUrl = `http://127.0.0.1:${writerPort}`;
    writerEnv = { ...env, WHARF_PORT: String(writerPort), WHARF_STATIC_INDEX_DIR: staticDir };
    writer = new WharfServer(writerEnv);
    await writer.start(writerUrl);
    const otherPort = await freePort();
    otherUrl = `http://127.0.0.1:${otherPort}`;
    other = new WharfServer({ ...env, WHARF_PORT: String(otherPort) });
    await other.start(otherUrl);
  }, 60_000);
  afterAll(async () => {
    await other?.stop();
    await writer?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const publishThroughOther = async (vers: string) => {
    const res = await fetch(`${otherUrl}/api/v1/crates/new`, { method: 'PUT', headers: { authorization: token }, body: new Uint8Array(await publishBody({ name: 'elsewhere', vers })) });
    expect(res.status).toBe(200);
  };
  /** Polls the file every 5 ms until `want` holds; the number of polls is bounded, the time reported. */
  const until = async (want: () => boolean): Promise<number> => {
    const started = performance.now();
    for (let polls = 0; !want(); polls++) {
      expect(polls).toBeLessThan(2000);
      await new Promise((r) => setTimeout(r, 5));
    }
    return performance.now() - started;
  };

  it('writes a version published through another instance, through the change feed', async () => {
    const waited: number[] = [];
    for (const vers of ['1.0.0', '1.0.1', '1.0.2']) {
      await publishThroughOther(vers);
      waited.push(await until(() => versions().includes(vers)));
    }
    console.log(`publish answered by another instance -> static file written, ms: ${waited.map((w) => w.toFixed(0)).join(', ')} (change_poll_ms 250)`);
    expect(versions()).toEqual(['1.0.0', '1.0.1', '1.0.2']);
  }, 60_000);

  it('catches up at start with what changed while it was down, and follows a deletion by the CLI', async () => {
    expect(await writer.stop()).toBe(0);
    await publishThroughOther('1.0.3');
    expect(versions()).not.toContain('1.0.3');
    writer = new WharfServer(writerEnv);
    await writer.start(writerUrl);
    await until(() => versions().includes('1.0.3'));

    const deleted = await wharf(['crate', 'delete', 'elsewhere', '--yes'], env);
    expect(deleted.code).toBe(0);
    await until(() => !existsSync(file()) && !existsSync(`${file()}.gz`));
    const check = await wharf(['check'], writerEnv);
    expect(check.stdout).toContain('0 inconsistencies');
    expect(check.code).toBe(0);
  }, 60_000);
});
