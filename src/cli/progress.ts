import { humanBytes } from '../core/human-size.js';
import type { Progress } from '../services/progress.js';

/** At most this many redraws a second; the last state is always drawn by `end`. */
const REDRAWS_PER_SECOND = 10;

/**
 * Progress of a long command, on a terminal only: one line on stderr rewritten in place with the
 * files, the bytes, the rate and (when a total is known) the time left. On a pipe or a file it
 * writes nothing, so logs and scripts see only the final summary.
 */
export function terminalProgress(verb: string, stream: NodeJS.WriteStream = process.stderr): { progress: Progress; end: () => void } {
  if (!stream.isTTY) return { progress: () => undefined, end: () => undefined };
  const started = Date.now();
  let lastDraw = 0;
  let pending: string | null = null;
  const draw = (line: string) => {
    stream.write(`\r\x1b[K${line}`);
    lastDraw = Date.now();
    pending = null;
  };
  return {
    progress: (state, current) => {
      const line = progressText(verb, state, (Date.now() - started) / 1000, current);
      if (Date.now() - lastDraw >= 1000 / REDRAWS_PER_SECOND) draw(line);
      else pending = line;
    },
    end: () => {
      if (pending !== null) draw(pending);
      if (lastDraw > 0) stream.write('\n');
    },
  };
}

/** `copied 12/40 files, 3.1 MiB of 9.5 MiB, 1.2 MiB/s, 6 s left (serde@1.0.1)` */
export function progressText(verb: string, s: { files: number; bytes: number; total: number | null; totalBytes?: number | null }, seconds: number, current: string): string {
  const elapsed = Math.max(0.001, seconds);
  const rate = s.bytes / elapsed;
  let left: number | null = null;
  if (s.totalBytes != null && s.bytes > 0) left = ((s.totalBytes - s.bytes) * elapsed) / s.bytes;
  else if (s.total !== null && s.files > 0) left = ((s.total - s.files) * elapsed) / s.files;
  const files = `${s.files}${s.total !== null ? `/${s.total}` : ''} files`;
  const bytes = `${humanBytes(s.bytes)}${s.totalBytes != null ? ` of ${humanBytes(s.totalBytes)}` : ''}`;
  return `${verb} ${files}, ${bytes}, ${humanBytes(rate)}/s${left !== null ? `, ${formatDuration(left)} left` : ''}${current ? ` (${current})` : ''}`;
}

function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.ceil(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** Runs `work` with a terminal progress line, ended (with its last state) however the work ends. */
export async function withProgress<T>(verb: string, work: (progress: Progress) => Promise<T>): Promise<T> {
  const { progress, end } = terminalProgress(verb);
  try {
    return await work(progress);
  } finally {
    end();
  }
}
