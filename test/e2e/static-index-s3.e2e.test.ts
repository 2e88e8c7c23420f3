import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CargoResult, CargoSandbox, manifest } from '../helpers/cargo.js';
import { freePort } from '../helpers/live-server.js';
import { nginxMissing, type RunningNginx, startStaticNginx } from '../helpers/nginx.js';
import { type S3Server, s3Env, startS3Server } from '../helpers/s3-server.js';
import { complaints, tempDirs, WharfServer, wharf } from '../helpers/wharf-process.js';

const skip = nginxMissing();

/**
 * The whole of a registry that scales past one machine, driven by the real cargo: one `wharf
 * serve` with its crate files in a bucket (s3rver) and downloads answered by presigned redirects,
 * writing its static copy of the index into a folder that nginx serves. cargo reads the index
 * from nginx only, talks to Wharf's API for publish and yank, downloads through Wharf's `dl`
 * (which counts, then redirects) and takes the bytes from the bucket. Runs on both databases:
 * the data folder holds the SQLite file, or stands for a PostgreSQL database of its own.
 */
describe.skipIf(skip !== null)(`cargo with the index from nginx and the crate files from a bucket${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const temp = tempDirs();
  let s3: S3Server;
  let bucket: string;
  let nginx: RunningNginx;
  let server: WharfServer;
  let url: string;
  let env: Record<string, string>;
  let cargo: CargoSandbox;
  let token: string;
  let staticDir: string;

  beforeAll(async () => {
    s3 = await startS3Server();
    bucket = await s3.createBucket();
    staticDir = temp.make('static-s3');
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    env = {
      WHARF_DATA_DIR: temp.make('data-s3'),
      ...s3Env(s3.endpoint, bucket),
      WHARF_DOWNLOADS: 'redirect',
      WHARF_DOWNLOAD_FLUSH_MS: '100',
      WHARF_STATIC_INDEX_DIR: staticDir,
      WHARF_PUBLIC_URL: url,
      WHARF_PORT: String(port),
      WHARF_LOG_LEVEL: 'info',
    };
    const must = async (args: string[]) => {
      const r = await wharf(args, env);
      if (r.code !== 0) throw new Error(`wharf ${args.join(' ')} failed: ${r.stderr}`);
      return r;
    };
    await must(['migrate']);
    await must(['user', 'add', 'alice']);
    token = (await must(['token', 'create', 'alice', '--name', 'e2e'])).stdout.trimEnd().split('\n').at(-1)!;
    server = new WharfServer(env);
    await server.start(url);
    nginx = await startStaticNginx({ root: staticDir });
    cargo = new CargoSandbox(nginx.indexUrl);
  }, 90_000);

  afterAll(async () => {
    await nginx?.close();
    await server?.stop();
    await s3?.close();
    temp.removeAll();
  });

  const publish = (name: string, vers: string) =>
    cargo.run(['publish', '--registry', 'wharf', '--no-verify'], {
      cwd: cargo.writeCrate(`${name}-${vers}`, { 'Cargo.toml': manifest(name, vers), 'src/lib.rs': 'pub fn f() -> u32 { 7 }\n' }),
      token,
    });
  /** A binary that needs exactly bucket-lib 1.0.1 (whose f() is 7). */
  const consumer = (sandbox: CargoSandbox, name: string) =>
    sandbox.writeCrate(name, {
      'Cargo.toml': manifest(name, '0.1.0', '[dependencies]\nbucket-lib = { version = "=1.0.1", registry = "wharf" }\n'),
      'src/main.rs': 'fn main() { assert_eq!(bucket_lib::f(), 7); }\n',
    });
  const expectBuilt = (r: CargoResult) => expect(r.code, r.stderr).toBe(0);
  const downloads = async (name: string, vers: string) => {
    const body = (await (await fetch(`${url}/api/v1/crates/${name}`)).json()) as { versions: Array<{ num: string; downloads: number }> };
    return body.versions.find((v) => v.num === vers)?.downloads ?? 0;
  };
  /** Counts are flushed every 100 ms: polls, bounded by count, until `want` is reached. */
  const waitForDownloads = async (name: string, vers: string, want: number) => {
    for (let i = 0; i < 200 && (await downloads(name, vers)) < want; i++) await new Promise((r) => setTimeout(r, 50));
    return downloads(name, vers);
  };
  const bucketReads = () => s3.requests().filter((r) => r.startsWith(`GET /${bucket}/crates/`) && r.endsWith(' 200'));

  it('publishes, builds from the bucket through a counted redirect, refuses the yanked version and builds again after unyank', async () => {
    for (const vers of ['1.0.0', '1.0.1']) {
      const r = await publish('bucket-lib', vers);
      // cargo waits until the version shows in the index it reads: nginx's copy.
      expect(r.stderr).toContain(`Published bucket-lib v${vers}`);
      expect(r.code).toBe(0);
    }
    const app = consumer(cargo, 'bucket-app');
    const readsBefore = bucketReads().length;
    expectBuilt(await cargo.run(['run'], { cwd: app }));
    expect(readFileSync(join(app, 'Cargo.lock'), 'utf8')).toContain('name = "bucket-lib"\nversion = "1.0.1"');

    // The index came from nginx, never from Wharf's /index/.
    expect(nginx.accessLog().some((l) => l.includes('GET /bu/ck/bucket-lib ') && / 200 /.test(l))).toBe(true);
    expect(server.output.join('')).not.toContain('/index/bu/ck/bucket-lib');
    // The download went through Wharf, which counted it and redirected to the bucket...
    expect(await waitForDownloads('bucket-lib', '1.0.1', 1)).toBe(1);
    // ...and the bytes came from the bucket: one presigned GET of the version's object.
    const reads = bucketReads().slice(readsBefore);
    expect(reads).toHaveLength(1);
    expect(reads[0]).toMatch(new RegExp(`^GET /${bucket}/crates/bucket_lib/bucket-lib-1\\.0\\.1-[0-9a-f]{16}\\.crate 200$`));

    // Yanked: a fresh resolution that needs 1.0.1 fails with cargo's own message.
    expect((await cargo.run(['yank', '--registry', 'wharf', 'bucket-lib@1.0.1'], { token })).code).toBe(0);
    const fresh = consumer(cargo, 'bucket-app-fresh');
    const refused = await cargo.run(['build'], { cwd: fresh });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/yanked/);
    expect(refused.stderr).not.toMatch(/panicked|internal error|50[0-9]/);
    // The lock file made before the yank still builds (cargo keeps yanked versions it locked).
    expectBuilt(await cargo.run(['build'], { cwd: app }));

    expect((await cargo.run(['yank', '--registry', 'wharf', '--undo', 'bucket-lib@1.0.1'], { token })).code).toBe(0);
    // A new CARGO_HOME: nothing cached, so the build resolves and downloads again through nginx, Wharf and the bucket.
    const other = new CargoSandbox(nginx.indexUrl);
    const again = consumer(other, 'bucket-app-again');
    const readsBeforeAgain = bucketReads().length;
    expectBuilt(await other.run(['run'], { cwd: again }));
    expect(await waitForDownloads('bucket-lib', '1.0.1', 2)).toBe(2);
    expect(bucketReads().length - readsBeforeAgain).toBe(1);
  }, 300_000);

  it('answers a download with a redirect to a presigned URL of the bucket', async () => {
    const res = await fetch(`${url}/api/v1/crates/bucket-lib/1.0.0/download`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get('location')!);
    expect(location.origin).toBe(s3.endpoint);
    expect(location.pathname).toMatch(new RegExp(`^/${bucket}/crates/bucket_lib/bucket-lib-1\\.0\\.0-[0-9a-f]{16}\\.crate$`));
    expect(location.searchParams.get('X-Amz-Signature')).toBeTruthy();
  });

  it('leaves a registry that `wharf check` finds consistent, static copy included', async () => {
    const check = await wharf(['check'], env);
    expect(complaints(check.stderr)).toBe('');
    expect(check.code).toBe(0);
  });
});
