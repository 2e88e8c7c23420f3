import type { Insertable, Selectable } from 'kysely';
import type { Db } from '../create-db.js';
import type { AuditLogTable } from '../schema.js';

export type AuditRow = Selectable<AuditLogTable>;

export async function insertAudit(db: Db, row: Insertable<AuditLogTable>): Promise<void> {
  await db.insertInto('audit_log').values(row).execute();
}

export interface AuditFilter {
  userId?: number;
  action?: string;
  crateName?: string;
  since?: string;
  limit?: number;
}

export async function listAudit(db: Db, filter: AuditFilter) {
  let q = db
    .selectFrom('audit_log')
    .leftJoin('users', 'users.id', 'audit_log.user_id')
    .selectAll('audit_log')
    .select('users.login as login')
    .orderBy('audit_log.id', 'desc')
    .limit(Math.min(filter.limit ?? 100, 1000));
  if (filter.userId !== undefined) q = q.where('audit_log.user_id', '=', filter.userId);
  if (filter.action) q = q.where('audit_log.action', '=', filter.action);
  if (filter.crateName) q = q.where('audit_log.crate_name', '=', filter.crateName);
  if (filter.since) q = q.where('audit_log.created_at', '>=', filter.since);
  return q.execute();
}
