import type { Selectable } from 'kysely';
import type { Db } from '../create-db.js';
import type { ReadmesTable } from '../schema.js';

export type ReadmeRow = Selectable<ReadmesTable>;

export async function findReadme(db: Db, versionId: number): Promise<ReadmeRow | undefined> {
  return db.selectFrom('readmes').selectAll().where('version_id', '=', versionId).executeTakeFirst();
}

/** Stores a version's rendered README; a row already there (a concurrent render of the same source) stays. */
export async function insertReadme(db: Db, row: ReadmeRow): Promise<void> {
  await db.insertInto('readmes').values(row).onConflict((oc) => oc.column('version_id').doNothing()).execute();
}
