import type { Selectable } from 'kysely';
import type { Db } from '../create-db.js';
import type { CrateOwnerInvitationsTable } from '../schema.js';

export type InvitationRow = Selectable<CrateOwnerInvitationsTable>;

export async function findInvitation(db: Db, crateId: number, userId: number): Promise<InvitationRow | undefined> {
  return db.selectFrom('crate_owner_invitations').selectAll().where('crate_id', '=', crateId).where('invited_user_id', '=', userId).executeTakeFirst();
}

export async function findInvitationByTokenHash(db: Db, hash: string): Promise<InvitationRow | undefined> {
  return db.selectFrom('crate_owner_invitations').selectAll().where('token_hash', '=', hash).executeTakeFirst();
}

export async function insertInvitation(db: Db, row: InvitationRow): Promise<void> {
  await db.insertInto('crate_owner_invitations').values(row).execute();
}

export async function deleteInvitation(db: Db, crateId: number, userId: number): Promise<boolean> {
  const res = await db.deleteFrom('crate_owner_invitations').where('crate_id', '=', crateId).where('invited_user_id', '=', userId).executeTakeFirst();
  return Number(res.numDeletedRows) > 0;
}

export interface InvitationFilter {
  crateId?: number;
  inviteeId?: number;
  /** Only invitations that expire after this time. */
  liveAt: string;
  /** The last (crate id, invitee id) of the previous page. */
  after?: readonly [number, number];
  limit: number;
}

/** Invitations with their crate's name, ordered by (crate id, invitee id) for seek paging. */
export async function listInvitations(db: Db, f: InvitationFilter) {
  let q = db
    .selectFrom('crate_owner_invitations as i')
    .innerJoin('crates', 'crates.id', 'i.crate_id')
    .select(['i.crate_id', 'i.invited_user_id', 'i.invited_by_user_id', 'i.created_at', 'i.expires_at', 'crates.name as crate_name'])
    .where('i.expires_at', '>', f.liveAt);
  if (f.crateId !== undefined) q = q.where('i.crate_id', '=', f.crateId);
  if (f.inviteeId !== undefined) q = q.where('i.invited_user_id', '=', f.inviteeId);
  if (f.after) {
    const [crateId, userId] = f.after;
    q = q.where((eb) => eb.or([eb('i.crate_id', '>', crateId), eb.and([eb('i.crate_id', '=', crateId), eb('i.invited_user_id', '>', userId)])]));
  }
  return q.orderBy('i.crate_id').orderBy('i.invited_user_id').limit(f.limit).execute();
}
