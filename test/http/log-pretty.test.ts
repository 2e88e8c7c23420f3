import { describe, expect, it } from 'vitest';
import { prettyLogLine } from '../../src/http/log-pretty.js';

describe('pretty log lines (WHARF_LOG_FORMAT=pretty)', () => {
  it('puts time, level and message first, then the fields', () => {
    const line = JSON.stringify({ level: 40, time: Date.UTC(2026, 10, 30, 12, 4, 5, 120), pid: 7, hostname: 'h', msg: 'token refused', reason: 'revoked', reqId: 'req-1', who: { login: 'ann smith' } });
    expect(prettyLogLine(`${line}\n`)).toBe('12:04:05.120 WARN  token refused reason=revoked reqId=req-1 who={"login":"ann smith"}\n');
  });

  it('quotes strings with spaces and keeps a line that is not JSON', () => {
    expect(prettyLogLine(JSON.stringify({ level: 30, time: 0, msg: 'x', path: 'a b' }))).toBe('00:00:00.000 INFO  x path="a b"\n');
    expect(prettyLogLine('plain text\n')).toBe('plain text\n');
  });
});
