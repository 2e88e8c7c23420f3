import { type Selectable, sql } from 'kysely';
import type { Db } from '../create-db.js';
import type { JobsTable } from '../schema.js';

export type JobRow = Selectable<JobsTable>;

export interface NewJob {
  kind: string;
  key: string;
  payload: unknown;
  runAt: string;
  maxAttempts: number;
}

/** Rows per INSERT, well under SQLite's limit on bound values. */
const INSERT_CHUNK = 200;

/**
 * Queues jobs; a job whose key is already queued (in any state) is left as it is, which is what
 * makes queuing the same work twice harmless. Returns how many were new.
 */
export async function insertJobs(db: Db, jobs: readonly NewJob[], nowIso: string): Promise<number> {
  let added = 0;
  for (let i = 0; i < jobs.length; i += INSERT_CHUNK) {
    const rows = jobs.slice(i, i + INSERT_CHUNK).map((j) => ({
      kind: j.kind,
      job_key: j.key,
      payload: JSON.stringify(j.payload),
      state: 'pending' as const,
      max_attempts: j.maxAttempts,
      run_at: j.runAt,
      created_at: nowIso,
      updated_at: nowIso,
    }));
    const inserted = await db.insertInto('jobs').values(rows).onConflict((oc) => oc.column('job_key').doNothing()).returning('id').execute();
    added += inserted.length;
  }
  return added;
}

/**
 * Leases up to `limit` due jobs to `claimId` until `leaseUntil`: pending, due, and not leased by
 * a live lease. PostgreSQL skips the rows another instance is claiming at that moment (SKIP
 * LOCKED); SQLite serialises writers, and the row version makes a claim fail when another
 * instance changed the row between the read and the update. Each claim counts an attempt.
 */
export async function claimJobs(db: Db, { claimId, nowIso, leaseUntil, limit, postgres }: {
  claimId: string;
  nowIso: string;
  leaseUntil: string;
  limit: number;
  postgres: boolean;
}): Promise<JobRow[]> {
  const due = db
    .selectFrom('jobs')
    .where('state', '=', 'pending')
    .where('run_at', '<=', nowIso)
    .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', nowIso)]))
    .orderBy('run_at')
    .orderBy('id')
    .limit(limit);
  const lease = {
    locked_by: claimId,
    locked_until: leaseUntil,
    attempts: sql<number>`attempts + 1`,
    row_version: sql<number>`row_version + 1`,
    updated_at: nowIso,
  };
  if (postgres) {
    return db
      .updateTable('jobs')
      .set(lease)
      .where('id', 'in', due.select('id').forUpdate().skipLocked())
      .returningAll()
      .execute();
  }
  const candidates = await due.select(['id', 'row_version']).execute();
  const claimed: JobRow[] = [];
  for (const c of candidates) {
    const row = await db
      .updateTable('jobs')
      .set(lease)
      .where('id', '=', c.id)
      .where('row_version', '=', c.row_version)
      .where('state', '=', 'pending')
      .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', nowIso)]))
      .returningAll()
      .executeTakeFirst();
    if (row) claimed.push(row);
  }
  return claimed;
}

/** Extends a lease still held; false when it was lost (expired and claimed elsewhere). */
export async function renewLease(db: Db, id: number, claimId: string, leaseUntil: string, nowIso: string): Promise<boolean> {
  const r = await db
    .updateTable('jobs')
    .set({ locked_until: leaseUntil, updated_at: nowIso })
    .where('id', '=', id)
    .where('locked_by', '=', claimId)
    .where('state', '=', 'pending')
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Ends a held lease with the job's outcome; false when the lease had been lost. */
export async function finishJob(
  db: Db,
  id: number,
  claimId: string,
  outcome: { state: 'done' | 'failed' | 'pending'; runAt?: string; error?: string | null },
  nowIso: string,
): Promise<boolean> {
  const r = await db
    .updateTable('jobs')
    .set({
      state: outcome.state,
      locked_by: null,
      locked_until: null,
      last_error: outcome.error ?? null,
      updated_at: nowIso,
      ...(outcome.runAt ? { run_at: outcome.runAt } : {}),
    })
    .where('id', '=', id)
    .where('locked_by', '=', claimId)
    .where('state', '=', 'pending')
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Jobs waiting or failed, newest first, for the admin page. */
export async function listJobs(db: Db, state: 'pending' | 'failed', limit: number): Promise<JobRow[]> {
  return db.selectFrom('jobs').selectAll().where('state', '=', state).orderBy('id', 'desc').limit(limit).execute();
}

/** Puts a failed job back in the queue with a fresh count of attempts; false when it is not failed. */
export async function retryFailedJob(db: Db, id: number, nowIso: string): Promise<boolean> {
  const r = await db
    .updateTable('jobs')
    .set({ state: 'pending', attempts: 0, run_at: nowIso, updated_at: nowIso, row_version: sql<number>`row_version + 1` })
    .where('id', '=', id)
    .where('state', '=', 'failed')
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Forgets finished jobs older than `beforeIso` (their keys no longer need to stop a repeat). */
export async function deleteDoneJobs(db: Db, beforeIso: string): Promise<number> {
  const r = await db.deleteFrom('jobs').where('state', '=', 'done').where('updated_at', '<', beforeIso).executeTakeFirst();
  return Number(r.numDeletedRows);
}

export async function findJobByKey(db: Db, key: string): Promise<JobRow | undefined> {
  return db.selectFrom('jobs').selectAll().where('job_key', '=', key).executeTakeFirst();
}
