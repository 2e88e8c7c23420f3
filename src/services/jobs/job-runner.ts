import { randomUUID } from 'node:crypto';
import { claimJobs, finishJob, type JobRow, renewLease } from '../../db/repositories/job.repository.js';
import type { ServiceContext } from '../context.js';
import { backoffMs, enqueueJobs } from './job-queue.js';

/** Runs one job. Throwing retries it later (with backoff) until its attempts run out. */
export type JobHandler = (payload: unknown, job: JobRow) => Promise<void>;

/** A job queued once per period for the whole registry, whichever instances run. */
export interface Schedule {
  kind: string;
  everyMs: number;
}

export interface JobLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface RunnerOptions {
  pollMs: number;
  /** How long a claimed job is this instance's; renewed while the handler runs. */
  leaseMs: number;
  /** First retry delay; doubles each attempt. */
  backoffBaseMs: number;
  batch: number;
}

export const DEFAULT_RUNNER_OPTIONS: RunnerOptions = { pollMs: 1000, leaseMs: 120_000, backoffBaseMs: 30_000, batch: 10 };

const silent: JobLog = { info: () => undefined, warn: () => undefined, error: () => undefined };
const MAX_ERROR_LENGTH = 1000;

/**
 * Takes due jobs from the queue in the database and runs them. Any number of instances may run
 * one on the same database: a job is leased to one of them at a time (job.repository.ts), a
 * lease that lapses (its instance died) lets another take the job again, so every job runs at
 * least once and its handler must tolerate a second run.
 */
export class JobRunner {
  private readonly handlers = new Map<string, JobHandler>();
  private readonly schedules: Schedule[] = [];
  private readonly lastPeriod = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<number> | null = null;
  private stopped = true;
  private log: JobLog = silent;
  readonly options: RunnerOptions;

  constructor(private readonly ctx: ServiceContext, options: Partial<RunnerOptions> = {}) {
    this.options = { ...DEFAULT_RUNNER_OPTIONS, ...options };
  }

  /** Where the runner and its handlers log: the server's logger once started. */
  get logger(): JobLog {
    return this.log;
  }

  handle(kind: string, handler: JobHandler): void {
    this.handlers.set(kind, handler);
  }

  schedule(schedule: Schedule): void {
    this.schedules.push(schedule);
  }

  start(log: JobLog = silent): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.log = log;
    const loop = () => {
      if (this.stopped) return;
      void this.runOnce()
        .catch((err: unknown) => this.log.error({ err }, 'job queue: polling failed'))
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(loop, this.options.pollMs);
        });
    };
    loop();
  }

  /** Stops polling and waits for the jobs in hand; a job cut short is retried when its lease lapses. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.ticking?.catch(() => undefined);
  }

  /** One pass: queue the scheduled jobs now due, then claim and run a batch. Returns the jobs run. */
  runOnce(): Promise<number> {
    if (this.ticking) return this.ticking;
    this.ticking = this.pass().finally(() => {
      this.ticking = null;
    });
    return this.ticking;
  }

  private async pass(): Promise<number> {
    await this.queueSchedules();
    const now = this.ctx.clock.now();
    const claimId = randomUUID();
    const jobs = await claimJobs(this.ctx.db, {
      claimId,
      nowIso: now.toISOString(),
      leaseUntil: new Date(now.getTime() + this.options.leaseMs).toISOString(),
      limit: this.options.batch,
      postgres: this.ctx.config.databaseUrl !== null,
    });
    // Every job of the batch keeps its lease while the ones before it run, not only the one running.
    const waiting = new Set(jobs.map((j) => j.id));
    const renewal = setInterval(() => {
      const at = this.ctx.clock.now();
      const until = new Date(at.getTime() + this.options.leaseMs).toISOString();
      for (const id of waiting) void renewLease(this.ctx.db, id, claimId, until, at.toISOString()).catch(() => undefined);
    }, Math.max(10, Math.floor(this.options.leaseMs / 3)));
    try {
      for (const job of jobs) {
        await this.run(job, claimId);
        waiting.delete(job.id);
      }
    } finally {
      clearInterval(renewal);
    }
    return jobs.length;
  }

  /** Each period's job has a key naming the period, so whichever instance queues it first wins. */
  private async queueSchedules(): Promise<void> {
    const now = this.ctx.clock.now().getTime();
    for (const s of this.schedules) {
      const period = Math.floor(now / s.everyMs);
      if (this.lastPeriod.get(s.kind) === period) continue;
      await enqueueJobs(this.ctx.db, this.ctx.clock, [{ kind: s.kind, key: `schedule:${s.kind}:${period}`, payload: {} }]);
      this.lastPeriod.set(s.kind, period);
    }
  }

  private async run(job: JobRow, claimId: string): Promise<void> {
    const { db, clock } = this.ctx;
    const handler = this.handlers.get(job.kind);
    try {
      if (!handler) throw new Error(`no handler for jobs of kind \`${job.kind}\``);
      await handler(JSON.parse(job.payload), job);
      await finishJob(db, job.id, claimId, { state: 'done' }, clock.now().toISOString());
    } catch (err) {
      const error = String((err as Error)?.message ?? err).slice(0, MAX_ERROR_LENGTH);
      const now = clock.now();
      const last = job.attempts >= job.max_attempts;
      const runAt = new Date(now.getTime() + backoffMs(job.attempts, this.options.backoffBaseMs)).toISOString();
      await finishJob(db, job.id, claimId, last ? { state: 'failed', error } : { state: 'pending', runAt, error }, now.toISOString());
      const fields = { job: job.id, kind: job.kind, attempt: job.attempts, of: job.max_attempts, error };
      if (last) this.log.error(fields, 'job failed for good; an administrator can retry it on /admin/jobs');
      else this.log.warn({ ...fields, retry_at: runAt }, 'job failed; it will be retried');
    }
  }
}
