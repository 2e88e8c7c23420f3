// Turns measurements into table rows and prints the markdown table.
import { fmt } from './util.mjs';

const cellWrk = (side) => `${fmt.int(side.best.rps)} req/s, p99 ${fmt.ms(side.best.p99)}, CPU ${Math.round(side.best.serverCpu * 100)}%`;

/** A row for a wrk comparison: higher req/s is better; the target is a minimum ratio. */
export function wrkRow(res, atLeast) {
  return {
    wharf: cellWrk(res.wharf),
    peer: `${res.peer.name}: ${cellWrk(res.peer)}`,
    ratio: res.ratio,
    target: `≥ ${atLeast}x`,
    met: res.ratio >= atLeast,
    noise: res.roundRatios.map((r) => r.toFixed(2)).join(' / '),
    efficiency: `${fmt.int(Math.max(...res.wharf.runs.map((x) => x.perCpuSecond)))} / ${fmt.int(Math.max(...res.peer.runs.map((x) => x.perCpuSecond)))} = ${fmt.ratio(res.efficiencyRatio)}`,
  };
}

export function printTable(records, meta) {
  const head = ['#', 'measurement', 'Wharf', 'compared with', 'ratio', 'target', 'met', 'ratio per round', 'req per server CPU-second, Wharf / peer'];
  const lines = [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`];
  for (const r of records) {
    const row = r.row;
    const met = row.met === null || row.met === undefined ? '' : row.met ? 'yes' : '**no**';
    const ratio = row.ratioText ?? (row.ratio === null || row.ratio === undefined ? '' : fmt.ratio(row.ratio));
    lines.push(`| ${[r.id, r.what, row.wharf, row.peer ?? '', ratio, row.target ?? '', met, row.noise ?? '', row.efficiency ?? ''].join(' | ')} |`);
  }
  const out = [
    '',
    `Wharf benchmark, ${meta.date}: ${meta.machine}; ${meta.settings}`,
    '',
    ...lines,
    '',
  ];
  return out.join('\n');
}
