import type { Db } from '../../db/create-db.js';
import { recordAudit } from '../audit.service.js';
import type { ServiceContext } from '../context.js';
import { notifySecurityEvent } from '../mail/mail-queue.js';
import type { Operator } from '../token.service.js';

export type FactorMethod = 'totp' | 'passkey' | 'recovery-codes';

/** A second factor added to or removed from an account, or all of them reset by an administrator. */
export interface FactorChange {
  userId: number;
  login: string;
  change: 'added' | 'removed' | 'reset';
  method: FactorMethod | 'all';
  /** A passkey's name. */
  name?: string;
  by: Operator;
}

const ACTIONS = { added: 'user.factor_add', removed: 'user.factor_remove', reset: 'user.factor_reset' } as const;

/**
 * Records a change of factors in the audit log, inside the change's transaction (`db`). Call
 * `factorChanged` after that transaction commits.
 */
export async function auditFactorChange(ctx: ServiceContext, db: Db, change: FactorChange): Promise<void> {
  await recordAudit(db, ctx.clock, {
    action: ACTIONS[change.change],
    userId: change.by.actor?.userId ?? null,
    tokenId: null,
    detail: {
      user_id: change.userId,
      login: change.login,
      method: change.method,
      ...(change.name !== undefined ? { name: change.name } : {}),
      ...(change.by.via ? { via: change.by.via } : {}),
    },
  });
}

/**
 * THE place the account owner is told "a second factor was added / removed" (a security notice
 * by e-mail, which cannot be turned off): every change of factors comes through here after it
 * committed. It never carries a secret (no TOTP secret, no recovery code), only the method
 * and the name.
 */
export async function factorChanged(ctx: ServiceContext, change: FactorChange): Promise<void> {
  const what = change.method === 'all' ? 'every second factor' : `${FACTOR_NAMES[change.method]}${change.name !== undefined ? ` "${change.name}"` : ''}`;
  const detail = change.change === 'reset' ? `${what} removed by an administrator` : `${what} ${change.change}`;
  await notifySecurityEvent(ctx.db, ctx, {
    userId: change.userId,
    event: change.change === 'added' ? 'second-factor-added' : 'second-factor-removed',
    detail,
    key: `${change.userId}:${change.method}:${change.change}:${ctx.clock.now().toISOString()}`,
  });
}

const FACTOR_NAMES: Record<FactorMethod, string> = { totp: 'authenticator app', passkey: 'passkey', 'recovery-codes': 'recovery codes' };
