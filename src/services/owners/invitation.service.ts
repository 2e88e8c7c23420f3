import { badRequest, forbidden, gone, notFound } from '../../core/errors.js';
import { hashToken } from '../../core/token.js';
import { findCrateByCanonicalName, isOwner } from '../../db/repositories/crate.repository.js';
import type { Db } from '../../db/create-db.js';
import { deleteInvitation, findInvitation, findInvitationByTokenHash, type InvitationRow, listInvitations } from '../../db/repositories/invitation.repository.js';
import { findUserById } from '../../db/repositories/user.repository.js';
import { type Actor, requireScope } from '../actor.js';
import { recordAudit } from '../audit.service.js';
import type { ServiceContext } from '../context.js';
import { pagingNumber } from '../paging.js';
import { userDoc } from '../user-doc.js';
import { requireOwnerRights } from './rights.js';

/** Whose invitations to list: a crate's (for its user owners) or a user's own. */
export type InvitationListFilter = { crateName: string } | { inviteeId: number };

/** Reads `/api/private/crate_owner_invitations`'s query: `crate_name` or `invitee_id`, `per_page`, `seek`. */
export function parseInvitationQuery(query: Record<string, unknown>): { filter: InvitationListFilter; perPage: number; seek: string | null } {
  const perPage = pagingNumber(query.per_page, 'per_page', 100) ?? 10;
  const seek = typeof query.seek === 'string' && query.seek !== '' ? query.seek : null;
  if (typeof query.crate_name === 'string' && query.crate_name !== '') return { filter: { crateName: query.crate_name }, perPage, seek };
  if (typeof query.invitee_id === 'string' && /^\d{1,15}$/.test(query.invitee_id)) return { filter: { inviteeId: Number(query.invitee_id) }, perPage, seek };
  throw badRequest('give `crate_name` or `invitee_id`');
}

const encodeSeek = (key: readonly [number, number]) => Buffer.from(JSON.stringify(key)).toString('base64url');

function decodeSeek(seek: string): [number, number] {
  try {
    const key = JSON.parse(Buffer.from(seek, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(key) && key.length === 2 && key.every((n) => Number.isSafeInteger(n))) return key as [number, number];
  } catch {
    // answered below
  }
  throw badRequest('`seek` is not a cursor this registry gave out');
}

/**
 * Live invitations, as crates.io's private list answers them: a crate's for its user owners, or
 * the caller's own (nobody may read another user's), with the users they name, one page at a time.
 */
export async function listOwnerInvitations(ctx: ServiceContext, actor: Actor, q: ReturnType<typeof parseInvitationQuery>) {
  let crateId: number | undefined;
  let inviteeId: number | undefined;
  if ('crateName' in q.filter) {
    const crate = await findCrateByCanonicalName(ctx.db, q.filter.crateName);
    if (!crate) throw notFound(`crate \`${q.filter.crateName}\` does not exist`);
    if (!(await isOwner(ctx.db, crate.id, actor.userId))) throw forbidden(`only user owners of \`${crate.name}\` may list its pending invitations`);
    crateId = crate.id;
  } else {
    if (q.filter.inviteeId !== actor.userId) throw forbidden('only the invited user may list their pending invitations');
    inviteeId = q.filter.inviteeId;
  }
  const rows = await listInvitations(ctx.db, {
    crateId,
    inviteeId,
    liveAt: ctx.clock.now().toISOString(),
    after: q.seek ? decodeSeek(q.seek) : undefined,
    limit: q.perPage + 1,
  });
  const more = rows.length > q.perPage;
  const page = rows.slice(0, q.perPage);
  const last = page.at(-1);
  return {
    invitations: page.map(invitationDoc),
    users: await usersOf(ctx, page),
    meta: { next_page: more && last ? nextPage(q, [last.crate_id, last.invited_user_id]) : null },
  };
}

function nextPage(q: ReturnType<typeof parseInvitationQuery>, last: readonly [number, number]): string {
  const params = new URLSearchParams('crateName' in q.filter ? { crate_name: q.filter.crateName } : { invitee_id: String(q.filter.inviteeId) });
  params.set('per_page', String(q.perPage));
  params.set('seek', encodeSeek(last));
  return `?${params}`;
}

/** The caller's live invitations in crates.io's v1 shape (with who invited them), at most 100. */
export async function myOwnerInvitations(ctx: ServiceContext, actor: Actor) {
  const rows = await listInvitations(ctx.db, { inviteeId: actor.userId, liveAt: ctx.clock.now().toISOString(), limit: 100 });
  const users = await usersOf(ctx, rows);
  const loginOf = new Map(users.map((u) => [u.id, u.login]));
  return {
    crate_owner_invitations: rows.map((r) => ({
      invitee_id: r.invited_user_id,
      inviter_id: r.invited_by_user_id,
      invited_by_username: r.invited_by_user_id === null ? null : (loginOf.get(r.invited_by_user_id) ?? null),
      crate_name: r.crate_name,
      crate_id: r.crate_id,
      created_at: r.created_at,
      expires_at: r.expires_at,
    })),
    users,
  };
}

type ListedInvitation = Awaited<ReturnType<typeof listInvitations>>[number];

function invitationDoc(r: ListedInvitation) {
  return { invitee_id: r.invited_user_id, inviter_id: r.invited_by_user_id, crate_id: r.crate_id, crate_name: r.crate_name, created_at: r.created_at, expires_at: r.expires_at };
}

async function usersOf(ctx: ServiceContext, rows: readonly ListedInvitation[]) {
  const ids = [...new Set(rows.flatMap((r) => [r.invited_user_id, r.invited_by_user_id]).filter((id): id is number => id !== null))].sort((a, b) => a - b);
  const users = [];
  for (const id of ids) {
    const u = await findUserById(ctx.db, id);
    if (u) users.push(userDoc(ctx, u));
  }
  return users;
}

/**
 * Accepts or declines the caller's invitation to the crate with this id. A token needs the
 * `change-owners` scope for that crate: accepting makes its holder an owner.
 */
export async function answerInvitation(ctx: ServiceContext, actor: Actor, crateId: number, accepted: boolean): Promise<{ crate_id: number; accepted: boolean }> {
  const invitation = await findInvitation(ctx.db, crateId, actor.userId);
  if (!invitation) throw notFound(`you have no pending invitation to own the crate with id ${crateId}`);
  const crateName = await crateNameOf(ctx.db, crateId);
  requireScope(actor, 'change-owners', crateName);
  if (accepted) await accept(ctx, invitation, crateName, actor.token?.id ?? null);
  else await decline(ctx, invitation, crateName, actor.token?.id ?? null);
  return { crate_id: crateId, accepted };
}

/** Accepts the invitation whose link carries `token` (no sign-in: the token is the proof). */
export async function acceptInvitationByToken(ctx: ServiceContext, token: string): Promise<{ crate_id: number; accepted: true }> {
  const invitation = token.length <= 200 ? await findInvitationByTokenHash(ctx.db, hashToken(token)) : undefined;
  if (!invitation) throw notFound('this invitation link is not valid: it was already used, withdrawn or declined');
  await accept(ctx, invitation, await crateNameOf(ctx.db, invitation.crate_id), null);
  return { crate_id: invitation.crate_id, accepted: true };
}

async function crateNameOf(db: Db, crateId: number): Promise<string> {
  const row = await db.selectFrom('crates').select('name').where('id', '=', crateId).executeTakeFirst();
  if (!row) throw notFound(`no crate with id ${crateId}`);
  return row.name;
}

async function accept(ctx: ServiceContext, invitation: InvitationRow, crateName: string, tokenId: number | null): Promise<void> {
  const now = ctx.clock.now().toISOString();
  if (invitation.expires_at <= now) {
    throw gone(`the invitation to become an owner of \`${crateName}\` expired on ${invitation.expires_at.slice(0, 10)}; ask an owner of the crate for a new one`);
  }
  await ctx.db.transaction().execute(async (tx) => {
    await tx.updateTable('crates').set((eb) => ({ updated_at: eb.ref('updated_at') })).where('id', '=', invitation.crate_id).execute();
    // Withdrawn, declined or accepted meanwhile: the row is gone, and so is the right to accept.
    if (!(await deleteInvitation(tx, invitation.crate_id, invitation.invited_user_id))) {
      throw notFound(`the invitation to own \`${crateName}\` was withdrawn or already answered`);
    }
    if (!(await isOwner(tx, invitation.crate_id, invitation.invited_user_id))) {
      await tx
        .insertInto('crate_owners')
        .values({ crate_id: invitation.crate_id, user_id: invitation.invited_user_id, created_at: now, created_by: invitation.invited_by_user_id })
        .execute();
    }
    await recordAudit(tx, ctx.clock, {
      action: 'owner.invite_accept',
      userId: invitation.invited_user_id,
      tokenId,
      crateName,
      detail: { invited_by: invitation.invited_by_user_id },
    });
  });
}

async function decline(ctx: ServiceContext, invitation: InvitationRow, crateName: string, tokenId: number | null): Promise<void> {
  await ctx.db.transaction().execute(async (tx) => {
    if (!(await deleteInvitation(tx, invitation.crate_id, invitation.invited_user_id))) return;
    await recordAudit(tx, ctx.clock, { action: 'owner.invite_decline', userId: invitation.invited_user_id, tokenId, crateName, detail: { invited_by: invitation.invited_by_user_id } });
  });
}

/** For pages: the user's pending invitations with the inviter's login. */
export async function pendingInvitationsOf(ctx: ServiceContext, actor: Actor) {
  return (await myOwnerInvitations(ctx, actor)).crate_owner_invitations;
}

