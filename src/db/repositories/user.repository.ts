import type { Selectable } from 'kysely';
import type { Db } from '../create-db.js';
import type { UsersTable } from '../schema.js';

export type UserRow = Selectable<UsersTable>;

export async function findUserByLogin(db: Db, login: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('login_lower', '=', login.toLowerCase()).executeTakeFirst();
}

export async function findUserById(db: Db, id: number): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function insertUser(
  db: Db,
  user: { login: string; name: string | null; email: string | null; isAdmin: boolean; createdAt: string },
): Promise<UserRow> {
  return db
    .insertInto('users')
    .values({
      login: user.login,
      login_lower: user.login.toLowerCase(),
      name: user.name,
      email: user.email,
      is_admin: user.isAdmin ? 1 : 0,
      created_at: user.createdAt,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function countUsers(db: Db): Promise<number> {
  const row = await db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

/** The logins of unlocked administrators, by login, at most `limit` of them. */
export async function listAdminLogins(db: Db, limit: number): Promise<string[]> {
  const rows = await db.selectFrom('users').select('login').where('is_admin', '=', 1).where('locked_at', 'is', null).orderBy('login').limit(limit).execute();
  return rows.map((r) => r.login);
}
