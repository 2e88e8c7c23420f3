import { expect } from 'vitest';

/** The bound for /health/live while one request does expensive work. */
export const LIVE_BOUND_MS = 100;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function liveLatency(url: string): Promise<number> {
  const started = performance.now();
  const res = await fetch(`${url}/health/live`);
  await res.arrayBuffer();
  expect(res.status).toBe(200);
  return performance.now() - started;
}

/**
 * Times /health/live over a socket, one request after another, until `work` ends (at most 300
 * samples). The server and this client share one event loop, so a stall shows in every sample
 * taken during it.
 */
export async function sampleLiveWhile<T>(url: string, work: Promise<T>): Promise<{ result: T; samples: number[] }> {
  let done = false;
  const settled = work.then(
    () => (done = true),
    () => (done = true),
  );
  const samples: number[] = [];
  while (!done && samples.length < 300) {
    samples.push(await liveLatency(url));
    await Promise.race([sleep(10), settled]);
  }
  return { result: await work, samples };
}

/** No sample may reach this: ten times the bound, so that a busy machine's slow turn passes but a stall does not. */
export const LIVE_STALL_MS = 10 * LIVE_BOUND_MS;

/**
 * The check: the samples cover the work (at least 5 of them), their median stays under the
 * bound, which a busy machine's occasional slow sample cannot break, and none of them waited
 * as long as a stall of the event loop makes one wait.
 */
export function expectLiveStayedFast(samples: readonly number[]): void {
  const shown = `latencies (ms): ${samples.map(Math.round).join(' ')}`;
  expect(samples.length, shown).toBeGreaterThanOrEqual(5);
  const sorted = [...samples].sort((a, b) => a - b);
  expect(sorted[Math.floor(sorted.length / 2)], shown).toBeLessThan(LIVE_BOUND_MS);
  expect(sorted.at(-1), shown).toBeLessThan(LIVE_STALL_MS);
}
