const UNITS = ['KiB', 'MiB', 'GiB', 'TiB'];

/**
 * A byte count as people read it: `512 B`, `1.5 KiB`, `391 MiB` (binary units, one decimal below
 * 10, whole numbers above).
 */
export function humanBytes(n: number): string {
  if (!Number.isFinite(n) || n < 1024) return `${Math.max(0, Math.round(Number.isFinite(n) ? n : 0))} B`;
  let value = n;
  let unit = -1;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  const shown = value < 10 ? value.toFixed(1).replace(/\.0$/, '') : String(Math.round(value));
  // Rounding 1023.6 up must not print "1024 KiB".
  if (shown === '1024' && unit < UNITS.length - 1) return `1 ${UNITS[unit + 1]}`;
  return `${shown} ${UNITS[unit]}`;
}
