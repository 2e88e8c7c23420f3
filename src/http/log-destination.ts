import type { DestinationStream } from 'pino';

/** A destination that can also write out what it holds at once (pino's sonic-boom can). */
export interface FlushableDestination extends DestinationStream {
  flushSync?(): void;
}

/**
 * Log lines gathered during one turn of the event loop and handed to the target together, in
 * order, when the turn ends: one write per turn instead of one per line, which under load is
 * ~10% of an index read (bench/README.md). A line waits at most until the current turn's I/O
 * callbacks have run; at process exit, whatever the cause short of SIGKILL, everything pending is
 * written out, including lines logged after the app closed.
 *
 * The app gives it a synchronous target (stdout), as Node's own `process.stdout` is for files and
 * pipes on Linux: a reader that falls behind slows the server down instead of growing its memory,
 * and nothing is left in flight at exit, where an asynchronous write could be cut off.
 */
export class TurnBatchedDestination implements DestinationStream {
  private lines: string[] = [];
  private readonly flushNow = (): void => this.flush();

  constructor(private readonly target: FlushableDestination) {
    atExit.add(this);
    if (atExit.size === 1) process.on('exit', writeAllAtExit);
  }

  write(line: string): void {
    if (this.lines.push(line) === 1) setImmediate(this.flushNow);
  }

  /** Hands the pending lines to the target. */
  flush(): void {
    if (this.lines.length === 0) return;
    const chunk = this.lines.length === 1 ? this.lines[0]! : this.lines.join('');
    this.lines = [];
    this.target.write(chunk);
  }

  /** Hands the pending lines to the target and has it write everything now. */
  flushSync(): void {
    this.flush();
    try {
      this.target.flushSync?.();
    } catch {
      // At exit there is nobody left to tell; a closed stdout loses the lines whatever we do.
    }
  }
}

/** Every destination made in this process (one per app; apps are few and live as long as it). */
const atExit = new Set<TurnBatchedDestination>();

function writeAllAtExit(): void {
  for (const destination of atExit) destination.flushSync();
}
