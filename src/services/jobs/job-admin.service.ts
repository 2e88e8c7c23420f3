import { notFound } from '../../core/errors.js';
import { type JobRow, listJobs, retryFailedJob } from '../../db/repositories/job.repository.js';
import type { Actor } from '../actor.js';
import { recordAudit } from '../audit.service.js';
import { isoNow, type ServiceContext } from '../context.js';
import { mailEnabled } from '../mail/mail-queue.js';

const LISTED = 200;

/** A job as an administrator sees it: never its payload (an address, a token's name) beyond its kind and key. */
export interface JobView {
  id: number;
  kind: string;
  key: string;
  attempts: number;
  maxAttempts: number;
  runAt: string;
  leasedUntil: string | null;
  lastError: string | null;
  createdAt: string;
}

const view = (j: JobRow): JobView => ({
  id: j.id,
  kind: j.kind,
  key: j.job_key,
  attempts: j.attempts,
  maxAttempts: j.max_attempts,
  runAt: j.run_at,
  leasedUntil: j.locked_until,
  lastError: j.last_error,
  createdAt: j.created_at,
});

export interface JobsOverview {
  mailEnabled: boolean;
  pending: JobView[];
  failed: JobView[];
}

export async function jobsOverview(ctx: ServiceContext): Promise<JobsOverview> {
  return {
    mailEnabled: mailEnabled(ctx.config),
    pending: (await listJobs(ctx.db, 'pending', LISTED)).map(view),
    failed: (await listJobs(ctx.db, 'failed', LISTED)).map(view),
  };
}

/** Queues a failed job again with fresh attempts (audited). */
export async function retryJob(ctx: ServiceContext, actor: Actor, id: number): Promise<void> {
  await ctx.db.transaction().execute(async (tx) => {
    if (!(await retryFailedJob(tx, id, isoNow(ctx.clock)))) throw notFound(`no failed job with id ${id}`);
    await recordAudit(tx, ctx.clock, { action: 'job.retry', userId: actor.userId, tokenId: null, detail: { job_id: id } });
  });
}
