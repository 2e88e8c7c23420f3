import type { DestinationStream } from 'pino';
import type { FlushableDestination } from './log-destination.js';

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const OMITTED = new Set(['level', 'time', 'msg', 'pid', 'hostname']);

/**
 * One JSON log line as a line for people: `12:04:05.120 WARN  message key=value ...`, the time in
 * UTC, nested values as compact JSON, strings quoted only when they hold spaces or quotes. A
 * line that is not a JSON object passes through unchanged.
 */
export function prettyLogLine(line: string): string {
  let entry: unknown;
  try {
    entry = JSON.parse(line);
  } catch {
    return line;
  }
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return line;
  const record = entry as Record<string, unknown>;
  const time = typeof record.time === 'number' ? new Date(record.time).toISOString().slice(11, 23) : '--:--:--.---';
  const level = (LEVELS[record.level as number] ?? String(record.level ?? '')).padEnd(5);
  const fields = Object.entries(record)
    .filter(([key]) => !OMITTED.has(key))
    .map(([key, value]) => `${key}=${fieldText(value)}`);
  const message = typeof record.msg === 'string' ? record.msg : '';
  return `${[time, level, message, ...fields].filter((part) => part !== '').join(' ')}\n`;
}

function fieldText(value: unknown): string {
  if (typeof value === 'string') return /[\s"=]/.test(value) || value === '' ? JSON.stringify(value) : value;
  return JSON.stringify(value) ?? String(value);
}

/** Writes each line in prettyLogLine's form (WHARF_LOG_FORMAT=pretty). */
export class PrettyDestination implements DestinationStream {
  constructor(private readonly target: FlushableDestination) {}

  write(line: string): void {
    this.target.write(prettyLogLine(line));
  }

  flushSync(): void {
    this.target.flushSync?.();
  }
}
