import { describe, expect, it } from 'vitest';
import type { UpstreamVersion } from '../../src/core/mirror-index.js';
import { likelyNext, MirrorPrefetch } from '../../src/services/mirror/mirror-prefetch.js';

const version = (vers: string, deps: Array<Partial<UpstreamVersion['deps'][number]> & { name: string }>, yanked = false): UpstreamVersion => ({
  name: 'root',
  vers,
  cksum: '0'.repeat(64),
  yanked,
  deps: deps.map((d) => ({ req: '^1', kind: 'normal', optional: false, registry: null, ...d })),
});

describe('likelyNext', () => {
  it('follows normal and build dependencies of the newest versions not yanked, from the same registry', () => {
    const versions = [
      version('0.9.0', [{ name: 'too-old' }]),
      version('1.0.0', [{ name: 'a' }, { name: 'Dev-Only', kind: 'dev' }]),
      version('1.10.0', [{ name: 'B', kind: 'build' }, { name: 'elsewhere', registry: 'https://example.com/index' }]),
      version('1.2.0', [{ name: 'a' }, { name: 'opt', optional: true }]),
      version('2.0.0', [{ name: 'yanked-only' }], true),
    ];
    expect(likelyNext(versions, 3).sort()).toEqual(['a', 'b', 'opt']);
    expect(likelyNext(versions, 1)).toEqual(['b']);
    expect(likelyNext(versions, 0)).toEqual([]);
  });
});

/** A prefetch target whose fetches the test finishes by hand. */
function target(notWanted: string[] = []) {
  const started: string[] = [];
  const finish = new Map<string, (ok: boolean) => void>();
  return {
    started,
    finish: (name: string, ok = true) => finish.get(name)?.(ok),
    wanted: (name: string) => !notWanted.includes(name) && !started.includes(name),
    warm: (name: string) => {
      started.push(name);
      return new Promise<void>((resolve, reject) => finish.set(name, (ok) => (ok ? resolve() : reject(new Error(`${name} failed`)))));
    },
  };
}

const deps = (...names: string[]) => [version('1.0.0', names.map((name) => ({ name })))];
const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('MirrorPrefetch', () => {
  it('runs at most `concurrency` fetches, keeps at most `queued` waiting, and drops the rest', async () => {
    const t = target(['held']);
    const prefetch = new MirrorPrefetch(t, { concurrency: 2, queued: 3, newest: 3 });
    prefetch.afterFetch(deps('a', 'b', 'held', 'c', 'd', 'e', 'f', 'g'));
    expect(t.started).toEqual(['a', 'b']);
    expect(prefetch.size).toEqual({ running: 2, waiting: 3 });
    expect(prefetch.dropped).toBe(2);
    // Names already running or waiting are not queued again.
    prefetch.afterFetch(deps('a', 'c'));
    expect(prefetch.size).toEqual({ running: 2, waiting: 3 });
    t.finish('a', false);
    await tick();
    expect(t.started).toEqual(['a', 'b', 'c']);
    for (const name of ['b', 'c', 'd', 'e']) {
      t.finish(name);
      await tick();
    }
    await prefetch.idle();
    expect(t.started).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('skips a name that a read fetched while it waited, and takes nothing once stopped', async () => {
    const t = target();
    const prefetch = new MirrorPrefetch(t, { concurrency: 1, queued: 10, newest: 3 });
    prefetch.afterFetch(deps('a', 'b', 'c'));
    t.started.push('b');
    t.finish('a');
    await tick();
    expect(t.started).toEqual(['a', 'b', 'c']);
    const stopping = prefetch.stop();
    prefetch.afterFetch(deps('x'));
    t.finish('c');
    await stopping;
    expect(t.started).toEqual(['a', 'b', 'c']);
    expect(prefetch.size).toEqual({ running: 0, waiting: 0 });
  });
});
