// Small helpers shared by the benchmark scripts: processes, ports, HTTP probes, statistics.
import { spawn } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Progress goes to stderr so stdout carries only the table. */
export function say(...parts) {
  process.stderr.write(`[bench] ${parts.join(' ')}\n`);
}

const tempDirs = [];

export function tempDir(label) {
  const dir = mkdtempSync(join(tmpdir(), `wharf-bench-${label}-`));
  tempDirs.push(dir);
  return dir;
}

/** Removes every directory tempDir() made (registries of 100k crates take room). */
export function removeTempDirs() {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Prefixes a command with `taskset -c CPU` when pinning is on. */
export function pinned(cpu, command, args) {
  return cpu === null || cpu === undefined ? [command, args] : ['taskset', ['-c', String(cpu), command, ...args]];
}

/** Runs a command to completion; resolves with its exit code and output (never rejects on exit code). */
export function run(command, args, { env, cwd, input, timeoutMs = 600_000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, cwd, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    const out = [];
    const err = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (c) => out.push(c));
    child.stderr.on('data', (c) => err.push(c));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
    });
    if (input !== undefined) {
      child.stdin.on('error', () => undefined);
      child.stdin.end(input);
    }
  });
}

/** Like run() but throws with the output when the command fails. */
export async function runOk(command, args, opts) {
  const res = await run(command, args, opts);
  if (res.code !== 0) throw new Error(`${command} ${args.join(' ')} exited ${res.code}:\n${res.stdout}\n${res.stderr}`);
  return res;
}

const daemons = new Set();
let signalsHooked = false;

/** Interrupted (Ctrl-C, SIGTERM), the bench stops the servers it started before it exits. */
function hookSignals() {
  if (signalsHooked) return;
  signalsHooked = true;
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => {
      for (const d of daemons) d.child.kill('SIGTERM');
      process.exit(130);
    });
  }
}

/** A long-running child whose output goes to a log file; stop() sends SIGTERM and waits. */
export class Daemon {
  constructor(name, command, args, { env, cwd, logFile }) {
    this.name = name;
    this.logFile = logFile;
    const fd = openSync(logFile, 'a');
    this.child = spawn(command, args, { env, cwd, stdio: ['ignore', fd, fd] });
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => resolve(code ?? signal)));
    daemons.add(this);
    this.child.on('exit', () => daemons.delete(this));
    hookSignals();
  }

  get pid() {
    return this.child.pid;
  }

  get running() {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async stop(signal = 'SIGTERM', graceMs = 15_000) {
    if (!this.running) return this.exited;
    this.child.kill(signal);
    const timer = setTimeout(() => this.running && this.child.kill('SIGKILL'), graceMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }
}

/** One raw HTTP GET (no decompression), for probes and byte comparisons. */
export function httpGet(url, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', headers, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Waits until `url` answers with a status below 500. */
export async function waitForHttp(url, { timeoutMs = 60_000, daemon } = {}) {
  const start = Date.now();
  for (;;) {
    try {
      const res = await httpGet(url);
      if (res.status < 500) return;
    } catch {
      // not listening yet
    }
    if (daemon && !daemon.running) throw new Error(`${daemon.name} exited before answering; see ${daemon.logFile}`);
    if (Date.now() - start > timeoutMs) throw new Error(`${url} did not answer within ${timeoutMs} ms`);
    await sleep(50);
  }
}

/** Peak and current resident set size of a process, in MiB, from /proc. */
export function memoryOf(pid) {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN);
  return { hwmMiB: kb('VmHWM') / 1024, rssMiB: kb('VmRSS') / 1024 };
}

/** CPU seconds (user + system, all threads) a process has used so far; NaN when it is gone. */
export function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of the line, in clock ticks (100 per second on Linux).
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

/** The children of a process (nginx's master -> its worker). */
export function childPids(pid) {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx];
}

/** p50/p99/mean of a list of millisecond samples. */
export function latencyStats(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const mean = sorted.reduce((a, b) => a + b, 0) / (sorted.length || 1);
  return { n: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99), mean, max: sorted.at(-1) ?? NaN };
}

/** A small deterministic PRNG (mulberry32), so every run generates the same registry. */
export function prng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: (list) => list[Math.floor(next() * list.length)],
  };
}

export const fmt = {
  int: (n) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a'),
  ms: (n) => (Number.isFinite(n) ? (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2)) + ' ms' : 'n/a'),
  s: (n) => (Number.isFinite(n) ? n.toFixed(2) + ' s' : 'n/a'),
  ratio: (n) => (Number.isFinite(n) ? n.toFixed(2) + 'x' : 'n/a'),
  mib: (n) => (Number.isFinite(n) ? n.toFixed(0) + ' MiB' : 'n/a'),
  kb: (n) => (n / 1024).toFixed(1) + ' KB',
};
