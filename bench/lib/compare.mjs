// Runs wrk against two servers in alternation, round after round, so both sides see the same
// background load; keeps every run so the noise can be reported.
import { cpuSeconds, say } from './util.mjs';
import { wrk } from './wrk.mjs';

/**
 * @param {string} label
 * Each side's `pid()` (one process) or `pids()` (several: instances behind a balancer) names the
 * server processes whose CPU time is read.
 * @param {{name:string,url:string,headers?:object}} wharf
 * @param {{name:string,url:string,headers?:object}} peer
 * @returns {{label, wharf: {best, runs}, peer: {best, runs}, ratio, roundRatios}}
 */
export async function compareWrk(label, wharf, peer, { rounds, seconds, connections, cpu }) {
  const runs = { wharf: [], peer: [] };
  for (let r = 0; r < rounds; r++) {
    // Alternate who goes first, so a slow patch of background load does not always hit one side.
    const order = r % 2 === 0 ? ['peer', 'wharf'] : ['wharf', 'peer'];
    for (const side of order) {
      const t = side === 'wharf' ? wharf : peer;
      const cpu0 = serverCpuSeconds(t);
      const t0 = performance.now();
      const res = await wrk(t.url, { headers: t.headers, seconds, connections, cpu });
      const cpuUsed = serverCpuSeconds(t) - cpu0;
      // How busy the server was: well below 100% of its core, the client or the machine held it
      // back, and requests per CPU-second compare the servers' own costs better than req/s.
      res.serverCpu = cpuUsed / ((performance.now() - t0) / 1000);
      res.perCpuSecond = res.total / cpuUsed;
      runs[side].push(res);
      say(`${label} round ${r + 1}: ${t.name} ${Math.round(res.rps)} req/s, p99 ${res.p99} ms, server CPU ${Math.round(res.serverCpu * 100)}%, ${Math.round(res.perCpuSecond)} req per CPU-second`);
    }
  }
  const best = (list) => list.reduce((a, b) => (b.rps > a.rps ? b : a));
  const w = best(runs.wharf);
  const p = best(runs.peer);
  const roundRatios = runs.wharf.map((x, i) => x.rps / runs.peer[i].rps);
  const bestEff = (list) => Math.max(...list.map((x) => x.perCpuSecond));
  return {
    label,
    efficiencyRatio: bestEff(runs.wharf) / bestEff(runs.peer),
    wharf: { name: wharf.name, best: w, runs: runs.wharf },
    peer: { name: peer.name, best: p, runs: runs.peer },
    ratio: w.rps / p.rps,
    roundRatios,
  };
}

function serverCpuSeconds(t) {
  if (t.pids) return t.pids().reduce((sum, pid) => sum + cpuSeconds(pid), 0);
  return t.pid ? cpuSeconds(t.pid()) : NaN;
}

/** Warms a target (JIT, caches) without recording anything. */
export async function warm(url, headers, { seconds, connections, cpu }) {
  await wrk(url, { headers, seconds, connections, cpu });
}
