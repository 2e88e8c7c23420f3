import type { Insertable, Selectable } from 'kysely';
import type { Db } from '../create-db.js';
import type { AuditLogTable } from '../schema.js';

export type AuditRow = Selectable<AuditLogTable>;

export async function insertAudit(db: Db, row: Insertable<AuditLogTable>): Promise<void> {
  await db.insertInto('audit_log').values(row).execute();
}

export interface AuditFilter {
  userId?: number;
  /** Events done by this user, or done to one of their tokens (by an admin, the CLI or a leak report). */
  involvingUserId?: number;
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
  const involved = filter.involvingUserId;
  if (involved !== undefined) {
    q = q.where((eb) =>
      eb.or([
        eb('audit_log.user_id', '=', involved),
        eb('audit_log.token_id', 'in', eb.selectFrom('api_tokens').select('api_tokens.id').where('api_tokens.user_id', '=', involved)),
      ]),
    );
  }
  if (filter.action) q = q.where('audit_log.action', '=', filter.action);
  if (filter.crateName) q = q.where('audit_log.crate_name', '=', filter.crateName);
  if (filter.since) q = q.where('audit_log.created_at', '>=', filter.since);
  return q.execute();
}

/**
 * The rows of `actions` about these versions of these crates that name a user, oldest first, with
 * the user (the caller pairs crate and version). Only rows from `since` on count, so a crate deleted and published again under the same
 * name does not inherit the old versions' history.
 */
export async function listVersionAudit(db: Db, crateNames: readonly string[], versions: readonly string[], actions: readonly string[], since: string) {
  if (versions.length === 0 || crateNames.length === 0) return [];
  return db
    .selectFrom('audit_log')
    .innerJoin('users', 'users.id', 'audit_log.user_id')
    .select(['audit_log.action', 'audit_log.crate_name', 'audit_log.version', 'audit_log.created_at', 'users.id as user_id', 'users.login', 'users.name', 'users.created_at as user_created_at'])
    .where('audit_log.crate_name', 'in', crateNames)
    .where('audit_log.version', 'in', versions)
    .where('audit_log.action', 'in', actions)
    .where('audit_log.created_at', '>=', since)
    .orderBy('audit_log.id')
    .execute();
}
