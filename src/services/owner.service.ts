import { badRequest, conflict, crateNotFound } from '../core/errors.js';
import { findCrateByCanonicalName, listOwners } from '../db/repositories/crate.repository.js';
import { findUserByLogin, type UserRow } from '../db/repositories/user.repository.js';
import type { Actor } from './actor.js';
import { recordAudit } from './audit.service.js';
import type { ServiceContext } from './context.js';
import { ownerDoc } from './user-doc.js';
import { loadOwnedCrate } from './yank.service.js';

const MAX_LOGINS = 50;

/** A crate's user owners as crates.io lists them: `kind`, `url` and `avatar`, by id. */
export async function getOwners(ctx: ServiceContext, name: string) {
  const crate = await findCrateByCanonicalName(ctx.db, name);
  if (!crate) throw crateNotFound(name);
  return (await listOwners(ctx.db, crate.id)).sort((a, b) => a.id - b.id).map((u) => ownerDoc(ctx, u));
}

function checkLogins(logins: unknown): string[] {
  if (!Array.isArray(logins) || logins.length === 0 || !logins.every((l) => typeof l === 'string' && l.length > 0 && l.length <= 100)) {
    throw badRequest('expected a body like {"users":["login"]}');
  }
  if (logins.length > MAX_LOGINS) throw badRequest(`at most ${MAX_LOGINS} users at once`);
  return logins as string[];
}

/** Adds or removes owners by login; answers the message cargo prints. */
export async function changeOwners(ctx: ServiceContext, actor: Actor, name: string, rawLogins: unknown, add: boolean): Promise<string> {
  const logins = checkLogins(rawLogins);
  const crate = await loadOwnedCrate(ctx.db, actor, name, 'change-owners');
  const users: UserRow[] = [];
  for (const login of logins) {
    const user = await findUserByLogin(ctx.db, login);
    if (!user) throw badRequest(`could not find a user with the login \`${login}\``);
    users.push(user);
  }
  return ctx.db.transaction().execute(async (tx) => {
    // Lock the crate row first: concurrent owner changes of one crate then run one after the
    // other on PostgreSQL too, so two adds cannot both insert and two removals cannot both
    // leave the crate without an owner. (A no-op update, because SQLite has no FOR UPDATE.)
    await tx.updateTable('crates').set((eb) => ({ updated_at: eb.ref('updated_at') })).where('id', '=', crate.id).execute();
    const current = new Set((await listOwners(tx, crate.id)).map((o) => o.id));
    const now = ctx.clock.now().toISOString();
    const changed: string[] = [];
    for (const user of users) {
      if (add === current.has(user.id)) continue;
      if (add) {
        await tx.insertInto('crate_owners').values({ crate_id: crate.id, user_id: user.id, created_at: now, created_by: actor.userId }).execute();
        current.add(user.id);
      } else {
        current.delete(user.id);
        if (current.size === 0) throw conflict(`cannot remove the last owner of \`${crate.name}\``);
        await tx.deleteFrom('crate_owners').where('crate_id', '=', crate.id).where('user_id', '=', user.id).execute();
      }
      changed.push(user.login);
      await recordAudit(tx, ctx.clock, {
        action: add ? 'owner.add' : 'owner.remove',
        userId: actor.userId,
        tokenId: actor.token?.id ?? null,
        crateName: crate.name,
        detail: { login: user.login },
      });
    }
    const list = logins.map((l) => `\`${l}\``).join(', ');
    if (changed.length === 0) return add ? `${list} already own \`${crate.name}\`` : `${list} did not own \`${crate.name}\``;
    return add
      ? `${changed.map((l) => `\`${l}\``).join(', ')} added as owner(s) of \`${crate.name}\``
      : `${changed.map((l) => `\`${l}\``).join(', ')} removed as owner(s) of \`${crate.name}\``;
  });
}
