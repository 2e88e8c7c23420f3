import type { DestinationStream } from 'pino';

/**
 * Log lines gathered during one turn of the event loop and written to the target together, in
 * order, when the turn ends: one write per turn instead of one per line, which under load is
 * ~10% of an index read (bench/README.md). A line waits at most until the current turn's I/O
 * callbacks have run; what is pending is written before the process exits, whatever the cause,
 * short of SIGKILL.
 */
export class TurnBatchedDestination implements DestinationStream {
  private lines: string[] = [];
  private readonly flushNow = (): void => this.flush();

  constructor(private readonly target: DestinationStream) {
    process.on('exit', this.flushNow);
  }

  write(line: string): void {
    if (this.lines.push(line) === 1) setImmediate(this.flushNow);
  }

  flush(): void {
    if (this.lines.length === 0) return;
    const chunk = this.lines.length === 1 ? this.lines[0]! : this.lines.join('');
    this.lines = [];
    this.target.write(chunk);
  }

  /** Writes what is pending and stops watching for the process's exit. */
  close(): void {
    this.flush();
    process.off('exit', this.flushNow);
  }
}
