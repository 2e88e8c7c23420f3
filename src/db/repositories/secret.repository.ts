import type { Db } from '../create-db.js';

/**
 * The server secret named `name`, created with `fresh` if there is none yet. When two instances
 * start at once, both insert, one wins, and both read the winner's value.
 */
export async function findOrCreateSecret(db: Db, name: string, fresh: string, now: string): Promise<string> {
  await db
    .insertInto('server_secrets')
    .values({ name, value: fresh, created_at: now })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
  const row = await db.selectFrom('server_secrets').select('value').where('name', '=', name).executeTakeFirstOrThrow();
  return row.value;
}
