import type { Selectable } from 'kysely';
import type { Db } from '../create-db.js';
import type { TeamsTable } from '../schema.js';

export type TeamRow = Selectable<TeamsTable>;

export async function findTeamByName(db: Db, name: string): Promise<TeamRow | undefined> {
  return db.selectFrom('teams').selectAll().where('name', '=', name).executeTakeFirst();
}

export async function insertTeam(db: Db, row: { name: string; description: string | null; created_at: string }): Promise<number> {
  const { id } = await db.insertInto('teams').values(row).returning('id').executeTakeFirstOrThrow();
  return id;
}

export async function deleteTeam(db: Db, id: number): Promise<void> {
  await db.deleteFrom('team_members').where('team_id', '=', id).execute();
  await db.deleteFrom('crate_owner_teams').where('team_id', '=', id).execute();
  await db.deleteFrom('teams').where('id', '=', id).execute();
}

/** Every team with its member and owned-crate counts, by name. */
export async function listTeamsWithCounts(db: Db) {
  const rows = await db
    .selectFrom('teams')
    .select((eb) => [
      'teams.id',
      'teams.name',
      'teams.description',
      'teams.created_at',
      eb.selectFrom('team_members').select(eb.fn.countAll<number>().as('n')).whereRef('team_members.team_id', '=', 'teams.id').as('members'),
      eb.selectFrom('crate_owner_teams').select(eb.fn.countAll<number>().as('n')).whereRef('crate_owner_teams.team_id', '=', 'teams.id').as('crates'),
    ])
    .orderBy('teams.name')
    .execute();
  return rows.map((r) => ({ ...r, members: Number(r.members ?? 0), crates: Number(r.crates ?? 0) }));
}

export async function listTeamMembers(db: Db, teamId: number) {
  return db
    .selectFrom('team_members')
    .innerJoin('users', 'users.id', 'team_members.user_id')
    .select(['users.id', 'users.login', 'users.name', 'team_members.created_at'])
    .where('team_members.team_id', '=', teamId)
    .orderBy('users.login')
    .execute();
}

export async function isTeamMember(db: Db, teamId: number, userId: number): Promise<boolean> {
  const row = await db.selectFrom('team_members').select('user_id').where('team_id', '=', teamId).where('user_id', '=', userId).executeTakeFirst();
  return row !== undefined;
}

export async function insertTeamMember(db: Db, row: { team_id: number; user_id: number; created_at: string }): Promise<void> {
  await db.insertInto('team_members').values(row).execute();
}

export async function deleteTeamMember(db: Db, teamId: number, userId: number): Promise<boolean> {
  const res = await db.deleteFrom('team_members').where('team_id', '=', teamId).where('user_id', '=', userId).executeTakeFirst();
  return Number(res.numDeletedRows) > 0;
}

/** The teams that own a crate, in the order they were added. */
export async function listOwnerTeams(db: Db, crateId: number) {
  return db
    .selectFrom('crate_owner_teams')
    .innerJoin('teams', 'teams.id', 'crate_owner_teams.team_id')
    .select(['teams.id', 'teams.name', 'teams.description'])
    .where('crate_owner_teams.crate_id', '=', crateId)
    .orderBy('teams.id')
    .execute();
}

export async function insertOwnerTeam(db: Db, row: { crate_id: number; team_id: number; created_at: string; created_by: number | null }): Promise<void> {
  await db.insertInto('crate_owner_teams').values(row).execute();
}

export async function deleteOwnerTeam(db: Db, crateId: number, teamId: number): Promise<void> {
  await db.deleteFrom('crate_owner_teams').where('crate_id', '=', crateId).where('team_id', '=', teamId).execute();
}

/** Whether the user belongs to a team that owns the crate (one indexed join). */
export async function isTeamOwnerMember(db: Db, crateId: number, userId: number): Promise<boolean> {
  const row = await db
    .selectFrom('crate_owner_teams')
    .innerJoin('team_members', 'team_members.team_id', 'crate_owner_teams.team_id')
    .select('team_members.user_id')
    .where('crate_owner_teams.crate_id', '=', crateId)
    .where('team_members.user_id', '=', userId)
    .executeTakeFirst();
  return row !== undefined;
}
