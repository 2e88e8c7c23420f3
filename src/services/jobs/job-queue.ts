import type { Db } from '../../db/create-db.js';
import { insertJobs } from '../../db/repositories/job.repository.js';
import type { Clock } from '../context.js';

/** Attempts before a job is marked failed (it then waits for an administrator's retry). */
export const DEFAULT_MAX_ATTEMPTS = 8;

export interface JobSpec {
  kind: string;
  /**
   * What makes the job unique: queuing a second job with a key already queued does nothing, so
   * a retried request or a repeated scan never sends the same mail twice.
   */
  key: string;
  payload: unknown;
  /** When it may run first; now when absent. */
  runAt?: Date;
  maxAttempts?: number;
}

/**
 * Queues jobs on `db`, which may be the transaction of the change they are about: the job then
 * exists exactly when the change committed. Returns how many were new.
 */
export async function enqueueJobs(db: Db, clock: Clock, jobs: readonly JobSpec[]): Promise<number> {
  if (jobs.length === 0) return 0;
  const now = clock.now().toISOString();
  return insertJobs(
    db,
    jobs.map((j) => ({
      kind: j.kind,
      key: j.key,
      payload: j.payload,
      runAt: j.runAt?.toISOString() ?? now,
      maxAttempts: j.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    })),
    now,
  );
}

/** Delay before attempt `attempts + 1`: doubling from `baseMs`, capped at an hour. */
export function backoffMs(attempts: number, baseMs: number): number {
  return Math.min(baseMs * 2 ** Math.max(0, attempts - 1), 3_600_000);
}
