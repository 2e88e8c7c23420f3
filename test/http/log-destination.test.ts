import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { TurnBatchedDestination } from '../../src/http/log-destination.js';

const turnEnd = () => new Promise((resolve) => setImmediate(resolve));

function recorder() {
  const writes: string[] = [];
  return { writes, target: { write: (chunk: string) => void writes.push(chunk) } };
}

describe('log lines batched per turn of the event loop', () => {
  it('writes a turn’s lines once, in order, when the turn ends', async () => {
    const { writes, target } = recorder();
    const dest = new TurnBatchedDestination(target);
    dest.write('a\n');
    dest.write('b\n');
    dest.write('c\n');
    expect(writes).toEqual([]);
    await turnEnd();
    expect(writes).toEqual(['a\nb\nc\n']);
    dest.write('d\n');
    await turnEnd();
    expect(writes).toEqual(['a\nb\nc\n', 'd\n']);
  });

  it('hands over what is pending and has the target write it, on demand', () => {
    const { writes, target } = recorder();
    let flushed = 0;
    const dest = new TurnBatchedDestination({ ...target, flushSync: () => void flushed++ });
    dest.write('last\n');
    dest.flushSync();
    expect(writes).toEqual(['last\n']);
    expect(flushed).toBe(1);
  });

  it('loses no line when the process exits in the turn that wrote it', () => {
    const built = fileURLToPath(new URL('../../dist/http/log-destination.js', import.meta.url));
    const script = `
      import { TurnBatchedDestination } from ${JSON.stringify(built)};
      import { destination } from 'pino';
      const dest = new TurnBatchedDestination(destination({ dest: 1, sync: true }));
      for (let i = 0; i < 1000; i++) dest.write('line ' + i + '\\n');
      // A second destination (a second app in the process) is written out too.
      const other = new TurnBatchedDestination(destination({ dest: 1, sync: true }));
      other.write('from the other one\\n');
      process.exit(3);
    `;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', cwd: fileURLToPath(new URL('../..', import.meta.url)) });
    expect(child.status, child.stderr).toBe(3);
    const lines = child.stdout.split('\n').filter((l) => l !== '');
    expect(lines).toHaveLength(1001);
    expect(lines[999]).toBe('line 999');
    expect(lines[1000]).toBe('from the other one');
  });
});
