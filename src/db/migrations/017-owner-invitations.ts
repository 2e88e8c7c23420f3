import type { Kysely } from 'kysely';
import { withId } from './column-helpers.js';

/**
 * Owner invitations and teams. An invitation names the crate, the invited user and who invited
 * them; its accept-by-link token is kept only as a SHA-256. Teams are groups of users managed by
 * administrators; a team that owns a crate lets its members publish and yank it (not change its
 * owners), so team owners live in their own table beside `crate_owners`.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('crate_owner_invitations')
    .addColumn('crate_id', 'integer', (c) => c.notNull().references('crates.id').onDelete('cascade'))
    .addColumn('invited_user_id', 'integer', (c) => c.notNull().references('users.id'))
    .addColumn('invited_by_user_id', 'integer', (c) => c.references('users.id'))
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('crate_owner_invitations_pk', ['crate_id', 'invited_user_id'])
    .execute();
  await db.schema.createIndex('crate_owner_invitations_invitee').on('crate_owner_invitations').column('invited_user_id').execute();

  await withId(db, db.schema.createTable('teams'))
    /** Lowercase; cargo and the API name the team `team:<name>`. */
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('description', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('team_members')
    .addColumn('team_id', 'integer', (c) => c.notNull().references('teams.id').onDelete('cascade'))
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('team_members_pk', ['team_id', 'user_id'])
    .execute();
  await db.schema.createIndex('team_members_user').on('team_members').column('user_id').execute();

  await db.schema
    .createTable('crate_owner_teams')
    .addColumn('crate_id', 'integer', (c) => c.notNull().references('crates.id').onDelete('cascade'))
    .addColumn('team_id', 'integer', (c) => c.notNull().references('teams.id').onDelete('cascade'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'integer', (c) => c.references('users.id'))
    .addPrimaryKeyConstraint('crate_owner_teams_pk', ['crate_id', 'team_id'])
    .execute();
  await db.schema.createIndex('crate_owner_teams_team').on('crate_owner_teams').column('team_id').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('crate_owner_teams').execute();
  await db.schema.dropTable('team_members').execute();
  await db.schema.dropTable('teams').execute();
  await db.schema.dropTable('crate_owner_invitations').execute();
}
