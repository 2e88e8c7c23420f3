// Runs wrk and reads its summary: requests per second, latency percentiles, errors.
import { pinned, runOk } from './util.mjs';

function toMs(text) {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text.trim());
  if (!m) return NaN;
  const n = Number(m[1]);
  return m[2] === 'us' ? n / 1000 : m[2] === 'ms' ? n : m[2] === 's' ? n * 1000 : n * 60_000;
}

export function parseWrk(out) {
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN);
  const pct = (p) => toMs(new RegExp(`^\\s+${p}%\\s+(\\S+)`, 'm').exec(out)?.[1] ?? '');
  const total = Number(/(\d+) requests in/.exec(out)?.[1] ?? NaN);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const socketErrors = sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0;
  return { rps, p50: pct(50), p90: pct(90), p99: pct(99), total, non2xx, socketErrors };
}

/**
 * wrk with one thread and `connections` keep-alive connections (HTTP/1.1) for `seconds`.
 * Fails when any response was an error, so a mistake cannot pass for a fast server.
 */
export async function wrk(url, { headers = {}, seconds = 10, connections = 32, cpu = null } = {}) {
  const args = ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', '--timeout', '5s'];
  for (const [k, v] of Object.entries(headers)) args.push('-H', `${k}: ${v}`);
  args.push(url);
  const [cmd, full] = pinned(cpu, 'wrk', args);
  const { stdout } = await runOk(cmd, full, { timeoutMs: (seconds + 30) * 1000 });
  const r = parseWrk(stdout);
  if (!Number.isFinite(r.rps) || r.non2xx > 0 || r.socketErrors > 0) {
    throw new Error(`wrk against ${url} saw errors (non-2xx/3xx: ${r.non2xx}, socket errors: ${r.socketErrors}):\n${stdout}`);
  }
  return r;
}
