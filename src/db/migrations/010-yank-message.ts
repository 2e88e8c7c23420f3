import type { Kysely } from 'kysely';

/** Why a version was yanked, as its owner said it (crates.io's `yank_message`); cleared by an unyank. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('versions').addColumn('yank_message', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('versions').dropColumn('yank_message').execute();
}
