import type { Db } from '../db/create-db.js';
import { insertAudit } from '../db/repositories/audit.repository.js';
import type { Clock } from './context.js';

export type AuditAction =
  | 'token.create'
  | 'token.revoke'
  | 'token.revoke_all'
  | 'crate.publish'
  | 'crate.yank'
  | 'crate.unyank'
  | 'crate.limits'
  | 'crate.delete'
  | 'crate.delete_version'
  | 'category.set'
  | 'category.remove'
  | 'owner.add'
  | 'owner.remove'
  | 'owner.invite'
  | 'owner.invite_accept'
  | 'owner.invite_decline'
  | 'team.create'
  | 'team.remove'
  | 'team.member_add'
  | 'team.member_remove'
  | 'user.create'
  | 'user.login'
  | 'user.password'
  | 'user.lock'
  | 'user.unlock'
  | 'user.admin'
  | 'user.unadmin'
  | 'user.delete'
  | 'user.password_reset'
  | 'user.verify_email'
  | 'user.factor_add'
  | 'user.factor_remove'
  | 'user.factor_reset'
  | 'trustpub.config_add'
  | 'trustpub.config_remove'
  | 'trustpub.exchange'
  | 'trustpub.revoke'
  | 'crate.trustpub_only'
  | 'job.retry'
  | 'user.identity_link'
  | 'user.identity_unlink'
  | 'user.session_end';

export const AUDIT_ACTIONS: readonly AuditAction[] = [
  'token.create',
  'token.revoke',
  'token.revoke_all',
  'crate.publish',
  'crate.yank',
  'crate.unyank',
  'crate.limits',
  'crate.delete',
  'crate.delete_version',
  'category.set',
  'category.remove',
  'owner.add',
  'owner.remove',
  'owner.invite',
  'owner.invite_accept',
  'owner.invite_decline',
  'team.create',
  'team.remove',
  'team.member_add',
  'team.member_remove',
  'user.create',
  'user.login',
  'user.password',
  'user.lock',
  'user.unlock',
  'user.admin',
  'user.unadmin',
  'user.delete',
  'user.password_reset',
  'user.verify_email',
  'user.factor_add',
  'user.factor_remove',
  'user.factor_reset',
  'trustpub.config_add',
  'trustpub.config_remove',
  'trustpub.exchange',
  'trustpub.revoke',
  'crate.trustpub_only',
  'job.retry',
  'user.identity_link',
  'user.identity_unlink',
  'user.session_end',
];

export interface AuditEvent {
  action: AuditAction;
  userId: number | null;
  tokenId: number | null;
  crateName?: string | null;
  version?: string | null;
  detail?: Record<string, unknown>;
}

/** Appends an audit row. Takes the transaction it belongs to, so the event and the change commit together. */
export async function recordAudit(db: Db, clock: Clock, event: AuditEvent): Promise<void> {
  await insertAudit(db, {
    action: event.action,
    user_id: event.userId,
    token_id: event.tokenId,
    crate_name: event.crateName ?? null,
    version: event.version ?? null,
    detail: event.detail ? JSON.stringify(event.detail) : null,
    created_at: clock.now().toISOString(),
  });
}
