import type { Kysely } from 'kysely';

/**
 * Re-authentication: when a session last proved its password (sign-in counts), so that creating
 * tokens and admin actions can ask for it again after a while. And the server's own secrets
 * (the key of the sign-in form's CSRF token), made once and shared by every instance.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('sessions').addColumn('reauth_at', 'text').execute();
  await db.schema
    .createTable('server_secrets')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('server_secrets').execute();
  await db.schema.alterTable('sessions').dropColumn('reauth_at').execute();
}
