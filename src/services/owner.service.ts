import { randomBytes } from 'node:crypto';
import { badRequest, conflict, crateNotFound, forbidden } from '../core/errors.js';
import { hashToken } from '../core/token.js';
import { findCrateByCanonicalName, listOwners } from '../db/repositories/crate.repository.js';
import type { Db } from '../db/create-db.js';
import { deleteInvitation, findInvitation, insertInvitation } from '../db/repositories/invitation.repository.js';
import { deleteOwnerTeam, findTeamByName, insertOwnerTeam, isTeamMember, listOwnerTeams, type TeamRow } from '../db/repositories/team.repository.js';
import { findUserByLogin, type UserRow } from '../db/repositories/user.repository.js';
import type { Actor } from './actor.js';
import { recordAudit } from './audit.service.js';
import type { ServiceContext } from './context.js';
import { notifyOwnerInvitation } from './mail/mail-queue.js';
import { ownerDoc, TEAM_LOGIN_PREFIX, teamOwnerDoc } from './user-doc.js';
import { loadOwnedCrate } from './yank.service.js';

const MAX_LOGINS = 50;
/** How long an invitation can be accepted (crates.io's default). */
export const INVITATION_DAYS = 30;

async function loadCrate(ctx: ServiceContext, name: string) {
  const crate = await findCrateByCanonicalName(ctx.db, name);
  if (!crate) throw crateNotFound(name);
  return crate;
}

/** A crate's owners as crates.io lists them: users by id, then teams by id. */
export async function getOwners(ctx: ServiceContext, name: string) {
  const crate = await loadCrate(ctx, name);
  return [...(await userOwnerDocs(ctx, crate.id)), ...(await listOwnerTeams(ctx.db, crate.id)).map(teamOwnerDoc)];
}

export async function getUserOwners(ctx: ServiceContext, name: string) {
  return userOwnerDocs(ctx, (await loadCrate(ctx, name)).id);
}

export async function getTeamOwners(ctx: ServiceContext, name: string) {
  return (await listOwnerTeams(ctx.db, (await loadCrate(ctx, name)).id)).map(teamOwnerDoc);
}

async function userOwnerDocs(ctx: ServiceContext, crateId: number) {
  return (await listOwners(ctx.db, crateId)).sort((a, b) => a.id - b.id).map((u) => ownerDoc(ctx, u));
}

function checkLogins(logins: unknown): string[] {
  if (!Array.isArray(logins) || logins.length === 0 || !logins.every((l) => typeof l === 'string' && l.length > 0 && l.length <= 100)) {
    throw badRequest('expected a body like {"users":["login"]}');
  }
  if (logins.length > MAX_LOGINS) throw badRequest(`at most ${MAX_LOGINS} users at once`);
  return logins as string[];
}

type Target = { kind: 'user'; login: string; user: UserRow } | { kind: 'team'; login: string; team: TeamRow };

/** Finds each login: a user, or `team:<name>` for a team. Refuses the first unknown one. */
async function resolveTargets(db: Db, logins: readonly string[]): Promise<Target[]> {
  const targets: Target[] = [];
  for (const login of logins) {
    if (login.toLowerCase().startsWith(TEAM_LOGIN_PREFIX)) {
      const team = await findTeamByName(db, login.slice(TEAM_LOGIN_PREFIX.length).toLowerCase());
      if (!team) throw badRequest(`could not find a team named \`${login}\`; an administrator creates teams with \`wharf team add\``);
      targets.push({ kind: 'team', login: `${TEAM_LOGIN_PREFIX}${team.name}`, team });
    } else if (login.includes(':')) {
      throw badRequest(`\`${login}\` is not a login or a team: this registry names teams \`team:<name>\` (crates.io's \`github:org:team\` does not apply here)`);
    } else {
      const user = await findUserByLogin(db, login);
      if (!user) throw badRequest(`could not find a user with the login \`${login}\``);
      targets.push({ kind: 'user', login: user.login, user });
    }
  }
  return targets;
}

/** An invitation just made; the token is for the invitee alone (a link in a mail), never logged. */
export interface NewInvitation {
  crateName: string;
  invitee: string;
  token: string;
  expiresAt: string;
}

export interface OwnerChange {
  /** What cargo prints. */
  msg: string;
  invitations: NewInvitation[];
}

const quoted = (logins: readonly string[]) => logins.map((l) => `\`${l}\``).join(', ');

/**
 * Adds or removes owners. A user is invited (unless `owner_invitations` is off, then added at
 * once); a team is added at once, by a member of it (or an administrator, who manages teams).
 * Only user owners may do any of it, and one user owner always stays.
 */
export async function changeOwners(ctx: ServiceContext, actor: Actor, name: string, rawLogins: unknown, add: boolean): Promise<OwnerChange> {
  const logins = checkLogins(rawLogins);
  const crate = await loadOwnedCrate(ctx.db, actor, name, 'change-owners');
  const targets = await resolveTargets(ctx.db, logins);
  if (add) {
    for (const t of targets) {
      if (t.kind === 'team' && !actor.isAdmin && !(await isTeamMember(ctx.db, t.team.id, actor.userId))) {
        throw forbidden(`only members of \`${t.login}\` may add it as an owner`);
      }
    }
  }
  const audit = (tx: Db, action: 'owner.add' | 'owner.remove' | 'owner.invite', detail: Record<string, unknown>) =>
    recordAudit(tx, ctx.clock, { action, userId: actor.userId, tokenId: actor.token?.id ?? null, crateName: crate.name, detail });

  return ctx.db.transaction().execute(async (tx) => {
    // Lock the crate row first: concurrent owner changes of one crate then run one after the
    // other on PostgreSQL too, so two adds cannot both insert and two removals cannot both
    // leave the crate without an owner. (A no-op update, because SQLite has no FOR UPDATE.)
    await tx.updateTable('crates').set((eb) => ({ updated_at: eb.ref('updated_at') })).where('id', '=', crate.id).execute();
    const users = new Set((await listOwners(tx, crate.id)).map((o) => o.id));
    const teams = new Set((await listOwnerTeams(tx, crate.id)).map((t) => t.id));
    const now = ctx.clock.now();
    const at = now.toISOString();
    const changed: string[] = [];
    const messages: string[] = [];
    const invitations: NewInvitation[] = [];
    for (const t of targets) {
      if (t.kind === 'team') {
        if (add === teams.has(t.team.id)) continue;
        if (add) {
          await insertOwnerTeam(tx, { crate_id: crate.id, team_id: t.team.id, created_at: at, created_by: actor.userId });
          teams.add(t.team.id);
          messages.push(`team ${t.login} has been added as an owner of crate ${crate.name}`);
        } else {
          await deleteOwnerTeam(tx, crate.id, t.team.id);
          teams.delete(t.team.id);
          changed.push(t.login);
        }
        await audit(tx, add ? 'owner.add' : 'owner.remove', { team: t.team.name });
        continue;
      }
      const { user } = t;
      if (!add) {
        if (!users.has(user.id)) {
          // Removing someone only invited withdraws the invitation.
          if (await deleteInvitation(tx, crate.id, user.id)) {
            changed.push(user.login);
            await audit(tx, 'owner.remove', { login: user.login, invitation: true });
          }
          continue;
        }
        users.delete(user.id);
        if (users.size === 0) {
          throw conflict(`cannot remove the last owner of \`${crate.name}\` who is a user: team members cannot change owners, so one user owner must stay`);
        }
        await tx.deleteFrom('crate_owners').where('crate_id', '=', crate.id).where('user_id', '=', user.id).execute();
        changed.push(user.login);
        await audit(tx, 'owner.remove', { login: user.login });
      } else if (users.has(user.id)) {
        if (ctx.config.ownerInvitations) throw badRequest(`\`${user.login}\` is already an owner of \`${crate.name}\``);
      } else if (ctx.config.ownerInvitations) {
        const invitation = await invite(tx, now, crate.id, user.id, actor.userId);
        if (!invitation) {
          messages.push(`user ${user.login} already has a pending invitation to be an owner of crate ${crate.name}`);
          continue;
        }
        invitations.push({ crateName: crate.name, invitee: user.login, ...invitation });
        await notifyOwnerInvitation(tx, ctx, { inviteeId: user.id, crate: crate.name, inviter: actor.login, invitationId: `${crate.id}:${user.id}:${invitation.expiresAt}` });
        messages.push(`user ${user.login} has been invited to be an owner of crate ${crate.name}`);
        await audit(tx, 'owner.invite', { login: user.login, expires_at: invitation.expiresAt });
      } else {
        await tx.insertInto('crate_owners').values({ crate_id: crate.id, user_id: user.id, created_at: at, created_by: actor.userId }).execute();
        users.add(user.id);
        changed.push(user.login);
        await audit(tx, 'owner.add', { login: user.login });
      }
    }
    if (changed.length > 0) messages.unshift(`${quoted(changed)} ${add ? 'added as' : 'removed as'} owner(s) of \`${crate.name}\``);
    if (messages.length === 0) {
      messages.push(add ? `${quoted(logins)} already own \`${crate.name}\`` : `${quoted(logins)} did not own \`${crate.name}\``);
    }
    return { msg: messages.join(', '), invitations };
  });
}

/**
 * Records an invitation unless a live one exists (an expired one is replaced). Returns the
 * plaintext token, which only its hash is stored for.
 */
async function invite(tx: Db, now: Date, crateId: number, userId: number, by: number): Promise<{ token: string; expiresAt: string } | null> {
  const existing = await findInvitation(tx, crateId, userId);
  if (existing && existing.expires_at > now.toISOString()) return null;
  if (existing) await deleteInvitation(tx, crateId, userId);
  const token = randomBytes(32).toString('base64url');
  const expiresAt = new Date(now.getTime() + INVITATION_DAYS * 86_400_000).toISOString();
  await insertInvitation(tx, {
    crate_id: crateId,
    invited_user_id: userId,
    invited_by_user_id: by,
    token_hash: hashToken(token),
    created_at: now.toISOString(),
    expires_at: expiresAt,
  });
  return { token, expiresAt };
}
