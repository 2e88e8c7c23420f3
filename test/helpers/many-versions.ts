import type { Db } from '../../src/db/create-db.js';
import { refreshVersionSummary } from '../../src/db/repositories/crate.repository.js';

/**
 * Adds versions `nums` to an existing crate straight into the database (publishing thousands of
 * versions through the API would take minutes); each row is what a publish would record, and the crate's version summary follows.
 */
export async function addVersionRows(db: Db, crateName: string, nums: readonly string[], features: Record<string, string[]> = {}): Promise<void> {
  const crate = await db.selectFrom('crates').select('id').where('name', '=', crateName).executeTakeFirstOrThrow();
  const at = new Date('2026-01-01T00:00:00Z').toISOString();
  const featuresJson = JSON.stringify(features);
  const rowsPerInsert = featuresJson.length > 10_000 ? 1 : 200;
  for (let i = 0; i < nums.length; i += rowsPerInsert) {
    await db
      .insertInto('versions')
      .values(
        nums.slice(i, i + rowsPerInsert).map((num) => ({
          crate_id: crate.id,
          num,
          num_no_build: num.split('+')[0]!,
          checksum: '0'.repeat(64),
          features: featuresJson,
          links: null,
          rust_version: null,
          license: 'MIT',
          description: null,
          crate_size: 100,
          yanked: 0,
          downloads: 0,
          published_by: null,
          created_at: at,
          updated_at: at,
        })),
      )
      .execute();
  }
  // A publish keeps the crate's version summary; so does this.
  await refreshVersionSummary(db, crate.id);
}
