import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkRegistry } from '../../src/services/check.service.js';
import { deleteCrate, deleteVersion } from '../../src/services/crate-deletion/crate-deletion.service.js';
import { StaticIndex } from '../../src/services/static-index/static-index.service.js';
import { FolderTarget, type StaticTarget } from '../../src/storage/static-target.js';
import { staticWriterApp } from '../helpers/static-writer.js';
import { createTestApp, type TestApp } from '../helpers/test-app.js';

/** Every file under `dir`, relative, temporary ones included. */
function allFiles(dir: string, prefix = ''): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? allFiles(join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`]));
}

describe('FolderTarget', () => {
  const root = mkdtempSync(join(tmpdir(), 'wharf-static-target-'));
  const target = new FolderTarget(root);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('replaces a file whole: a reader during 40 rewrites only ever sees one of the two versions', async () => {
    const a = Buffer.alloc(512 * 1024, 'a');
    const b = Buffer.alloc(256 * 1024, 'b');
    await target.put('ab/cd/abcd', a);
    let reads = 0;
    let torn = 0;
    let writing = true;
    const reader = (async () => {
      while (writing) {
        const seen = readFileSync(join(root, 'ab/cd/abcd'));
        reads += 1;
        if (!seen.equals(a) && !seen.equals(b)) torn += 1;
        await new Promise((r) => setImmediate(r));
      }
    })();
    for (let i = 0; i < 40; i++) await target.put('ab/cd/abcd', i % 2 === 0 ? b : a);
    writing = false;
    await reader;
    expect(reads).toBeGreaterThan(0);
    expect(torn).toBe(0);
    expect(allFiles(root)).toEqual(['ab/cd/abcd']);
  });

  it('gives changed bytes a later whole-second modification time (nginx\'s ETag), and leaves equal bytes alone', async () => {
    const mtime = () => statSync(join(root, '2/ab')).mtimeMs;
    await target.put('2/ab', Buffer.from('{"yanked":true}\n'));
    const first = mtime();
    // The same size in the same second: without a later time nginx would send the same ETag.
    await target.put('2/ab', Buffer.from('{"yanked":!!!!}\n'));
    const second = mtime();
    expect(second % 1000).toBe(0);
    expect(second).toBeGreaterThanOrEqual(first + 1000);
    await target.put('2/ab', Buffer.from('{"yanked":!!!!}\n'));
    expect(mtime()).toBe(second);
    await target.remove('2/ab');
  });

  it('writes folders 0755 and files 0644 under the umask of wharf (077), so the web server can read them', async () => {
    const old = process.umask(0o077);
    try {
      await target.put('mode/a/b/file', Buffer.from('x'));
    } finally {
      process.umask(old);
    }
    expect(statSync(join(root, 'mode')).mode & 0o777).toBe(0o755);
    expect(statSync(join(root, 'mode/a/b')).mode & 0o777).toBe(0o755);
    expect(statSync(join(root, 'mode/a/b/file')).mode & 0o777).toBe(0o644);
    await target.remove('mode/a/b/file');
  });

  it('lists files but not temporary ones, removes idempotently, and refuses paths outside its folder', async () => {
    writeFileSync(join(root, 'ab/cd/.abcd.0a1b2c.tmp'), 'half');
    const listed: string[] = [];
    for await (const p of target.list()) listed.push(p);
    expect(listed).toEqual(['ab/cd/abcd']);
    await target.remove('ab/cd/abcd');
    await target.remove('ab/cd/abcd');
    expect(await target.read('ab/cd/abcd')).toBeNull();
    await expect(target.put('../outside', Buffer.from('x'))).rejects.toThrow(/escapes/);
  });
});

describe('StaticIndex: the static copy of the index', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wharf-static-'));
  const s = staticWriterApp(() => ({ staticIndexDir: dir }));
  let t: TestApp;
  let token: string;
  let writer: StaticIndex;
  const file = (path: string) => readFileSync(join(dir, path));

  beforeAll(() => {
    ({ t, token, writer } = s);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const served = async (path: string, gzip: boolean) => {
    const res = await t.app.inject({ method: 'GET', url: `/index/${path}`, headers: gzip ? { 'accept-encoding': 'gzip' } : {} });
    expect(res.statusCode).toBe(200);
    return res.rawPayload;
  };

  it('writes config.json as /index/ serves it', async () => {
    expect(file('config.json').equals(await served('config.json', false))).toBe(true);
    expect(JSON.parse(file('config.json').toString())).toEqual({ dl: 'http://wharf.test/api/v1/crates', api: 'http://wharf.test', 'auth-required': false });
  });

  it('writes the index file and its .gz after a publish, the same bytes /index/ sends', async () => {
    await t.publish(token, { name: 'Static_One', vers: '1.0.0' });
    await t.publish(token, { name: 'Static_One', vers: '1.1.0' });
    await writer.idle();
    const body = file('st/at/static_one');
    expect(body.equals(await served('st/at/static_one', false))).toBe(true);
    expect(file('st/at/static_one.gz').equals(await served('st/at/static_one', true))).toBe(true);
    expect(gunzipSync(file('st/at/static_one.gz')).equals(body)).toBe(true);
    expect(body.toString().trim().split('\n').map((l) => (JSON.parse(l) as { vers: string }).vers)).toEqual(['1.0.0', '1.1.0']);
    expect(allFiles(dir).filter((p) => p.endsWith('.tmp'))).toEqual([]);
  });

  it('rewrites the file on yank and unyank', async () => {
    const yanked = () => file('st/at/static_one').toString().trim().split('\n').map((l) => (JSON.parse(l) as { yanked: boolean }).yanked);
    let res = await t.app.inject({ method: 'DELETE', url: '/api/v1/crates/Static_One/1.1.0/yank', headers: { authorization: token } });
    expect(res.statusCode).toBe(200);
    await writer.idle();
    expect(yanked()).toEqual([false, true]);
    expect(gunzipSync(file('st/at/static_one.gz')).equals(file('st/at/static_one'))).toBe(true);
    res = await t.app.inject({ method: 'PUT', url: '/api/v1/crates/Static_One/1.1.0/unyank', headers: { authorization: token } });
    expect(res.statusCode).toBe(200);
    await writer.idle();
    expect(yanked()).toEqual([false, false]);
  });

  it('removes a deleted crate\'s files when the change feed brings a deletion made elsewhere (the CLI)', async () => {
    await t.publish(token, { name: 'gone', vers: '0.1.0' });
    await writer.idle();
    expect(existsSync(join(dir, 'go/ne/gone'))).toBe(true);
    await t.runtime.changes.start(10);
    try {
      // As `wharf crate delete` does it: straight on the database, with no runtime of this process.
      await deleteCrate(t.runtime.ctx, { actor: null, via: 'cli' }, 'admin', 'gone');
      let polls = 0;
      // On PostgreSQL a NOTIFY may have started the write already: wait for both files, then for the writer.
      while ((existsSync(join(dir, 'go/ne/gone')) || existsSync(join(dir, 'go/ne/gone.gz'))) && polls < 500) {
        polls += 1;
        await t.runtime.changes.poll();
        await writer.idle();
      }
      expect(existsSync(join(dir, 'go/ne/gone'))).toBe(false);
      expect(existsSync(join(dir, 'go/ne/gone.gz'))).toBe(false);
    } finally {
      await t.runtime.changes.stop();
    }
  });

  it('does not let a render that raced with a newer change have the last word', async () => {
    // A second writer (another instance) whose first write is held until a newer version committed
    // and was written by this instance: it writes its stale render, sees the crate's marker moved,
    // and writes again from the database.
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let puts = 0;
    let started!: () => void;
    const writing = new Promise<void>((r) => (started = r));
    const folder = new FolderTarget(dir);
    const slow: StaticTarget = {
      describe: 'held',
      async put(path, bytes) {
        puts += 1;
        if (puts === 1) {
          started();
          await held;
        }
        await folder.put(path, bytes);
      },
      remove: (p) => folder.remove(p),
      read: (p) => folder.read(p),
      exists: (p) => folder.exists(p),
      list: (prefix) => folder.list(prefix),
    };
    const other = new StaticIndex(t.runtime.ctx, slow);
    const racing = other.changed('Static_One');
    await writing;
    await t.publish(token, { name: 'Static_One', vers: '1.2.0' });
    await writer.idle();
    release();
    await racing;
    const versions = file('st/at/static_one').toString().trim().split('\n').map((l) => (JSON.parse(l) as { vers: string }).vers);
    expect(versions).toEqual(['1.0.0', '1.1.0', '1.2.0']);
    expect(puts).toBe(4);
    expect(gunzipSync(file('st/at/static_one.gz')).equals(file('st/at/static_one'))).toBe(true);
  });

  it('logs a write that fails (a full or read-only disk) and keeps answering; the next change writes again', async () => {
    const errors: string[] = [];
    const folder = new FolderTarget(dir);
    let failing = true;
    const broken: StaticTarget = {
      describe: 'broken',
      put: (path, bytes) => (failing ? Promise.reject(Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' })) : folder.put(path, bytes)),
      remove: (p) => folder.remove(p),
      read: (p) => folder.read(p),
      exists: (p) => folder.exists(p),
      list: (prefix) => folder.list(prefix),
    };
    const other = new StaticIndex(t.runtime.ctx, broken);
    other.setLog({ info: () => undefined, warn: () => undefined, error: (obj, msg) => errors.push(`${msg}: ${(obj as { err: Error }).err.message}`) });
    await expect(other.changed('Static_One')).resolves.toBeUndefined();
    expect(errors).toEqual(['could not write the static index file: ENOSPC: no space left on device']);
    failing = false;
    await other.changed('Static_One');
    expect(errors).toHaveLength(1);
  });

  it('check reports a tampered, a missing and an extra file, and `wharf check` lists them', async () => {
    expect(await writer.check()).toEqual([]);
    writeFileSync(join(dir, 'st/at/static_one'), '{"name":"Static_One","vers":"6.6.6"}\n');
    rmSync(join(dir, 'st/at/static_one.gz'));
    mkdirSync(join(dir, 'zz/zz'), { recursive: true });
    writeFileSync(join(dir, 'zz/zz/zzzz'), 'no such crate\n');
    const problems = await writer.check();
    expect(problems.map((p) => `${p.kind} ${p.path}`)).toEqual(['stale st/at/static_one', 'extra zz/zz/zzzz']);
    const report = await checkRegistry(t.runtime.ctx, { graceMs: 3_600_000, repair: false });
    expect(report.problems.filter((p) => p.kind === 'static').map((p) => p.key)).toEqual(['st/at/static_one', 'zz/zz/zzzz']);
  });

  it('a rebuild writes every file again, removes the index files of no crate, and leaves files it never writes alone', async () => {
    // What a static_index_dir pointed at the wrong folder would find: none of it may be deleted.
    writeFileSync(join(dir, 'stray.txt'), 'not an index file');
    writeFileSync(join(dir, 'wharf.sqlite'), 'a database');
    mkdirSync(join(dir, 'crates/foo'), { recursive: true });
    writeFileSync(join(dir, 'crates/foo/foo-1.0.0-0123456789abcdef.crate'), 'a blob store file');
    rmSync(join(dir, 'config.json'));
    const report = await writer.sync({ rewrite: true });
    await writer.idle();
    expect(report.removed.sort()).toEqual(['zz/zz/zzzz']);
    expect(report.foreign.sort()).toEqual(['crates/foo/foo-1.0.0-0123456789abcdef.crate', 'stray.txt', 'wharf.sqlite']);
    expect(report.written).toBe(1);
    expect((await writer.check()).map((p) => `${p.kind} ${p.path}`).sort()).toEqual(['extra crates/foo/foo-1.0.0-0123456789abcdef.crate', 'extra stray.txt', 'extra wharf.sqlite']);
    expect(allFiles(dir).sort()).toEqual(['config.json', 'crates/foo/foo-1.0.0-0123456789abcdef.crate', 'st/at/static_one', 'st/at/static_one.gz', 'stray.txt', 'wharf.sqlite']);
    for (const path of ['stray.txt', 'wharf.sqlite', 'crates/foo']) rmSync(join(dir, path), { recursive: true });
  });
});

describe('StaticIndex with the .crate files (static_dl_base_url)', () => {
  let t: TestApp;
  let dir: string;
  let token: string;
  let writer: StaticIndex;
  const sha256 = (path: string) => createHash('sha256').update(readFileSync(join(dir, path))).digest('hex');
  const lines = () => readFileSync(join(dir, 'fi/le/files_too'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { vers: string; cksum: string });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wharf-static-dl-'));
    t = await createTestApp({ logLevel: 'silent', staticIndexDir: dir, staticDlBaseUrl: 'https://index.example.com/crates/' });
    writer = t.runtime.staticIndex!;
    await writer.start();
    ({ token } = await t.userWithToken('alice'));
    for (const vers of ['1.0.0', '1.1.0']) await t.publish(token, { name: 'Files_Too', vers });
    await writer.idle();
  });
  afterAll(async () => {
    await writer.stop();
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes every version\'s file where config.json\'s dl template points, with the published bytes', async () => {
    expect(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'))).toEqual({
      dl: 'https://index.example.com/crates/{crate}/{version}/{sha256-checksum}.crate',
      api: 'http://wharf.test',
      'auth-required': false,
    });
    // Wharf's own index keeps its own downloads.
    expect(JSON.parse((await t.app.inject({ method: 'GET', url: '/index/config.json' })).body)).toMatchObject({ dl: 'http://wharf.test/api/v1/crates' });
    for (const line of lines()) {
      const path = `crates/Files_Too/${line.vers}/${line.cksum}.crate`;
      expect(sha256(path)).toBe(line.cksum);
      const served = await t.app.inject({ method: 'GET', url: `/api/v1/crates/Files_Too/${line.vers}/download` });
      expect(served.rawPayload.equals(readFileSync(join(dir, path)))).toBe(true);
    }
    expect(await writer.check()).toEqual([]);
  });

  it('removes the file of a deleted version after the index stops naming it, and check finds a tampered file', async () => {
    const [first, second] = lines();
    await deleteVersion(t.runtime.ctx, { actor: null, via: 'cli' }, 'Files_Too', '1.0.0');
    await writer.changed('Files_Too');
    expect(lines().map((l) => l.vers)).toEqual(['1.1.0']);
    expect(existsSync(join(dir, `crates/Files_Too/1.0.0/${first!.cksum}.crate`))).toBe(false);
    const kept = `crates/Files_Too/1.1.0/${second!.cksum}.crate`;
    writeFileSync(join(dir, kept), 'not the published bytes');
    mkdirSync(join(dir, 'crates/Nobody/0.1.0'), { recursive: true });
    writeFileSync(join(dir, 'crates/Nobody/0.1.0/abc.crate'), 'stray');
    expect((await writer.check()).map((p) => `${p.kind} ${p.path}`)).toEqual([`stale ${kept}`, 'extra crates/Nobody/0.1.0/abc.crate']);
  });

  it('a rebuild removes stray files, and a deleted crate loses its files', async () => {
    const kept = `crates/Files_Too/1.1.0/${lines()[0]!.cksum}.crate`;
    rmSync(join(dir, kept));
    const report = await writer.sync({ rewrite: true });
    await writer.idle();
    expect(report.removed).toEqual(['crates/Nobody/0.1.0/abc.crate']);
    expect(sha256(kept)).toBe(lines()[0]!.cksum);
    expect(await writer.check()).toEqual([]);
    await deleteCrate(t.runtime.ctx, { actor: null, via: 'cli' }, 'admin', 'Files_Too');
    await writer.changed('Files_Too');
    expect(allFiles(dir).filter((p) => !p.endsWith('/') && !p.startsWith('.'))).toEqual(['config.json']);
  });
});
