import type { Kysely } from 'kysely';
import { withId } from './column-helpers.js';

/**
 * Single sign-on and the sessions list: the OpenID Connect identities (issuer and subject) linked
 * to accounts, with the provider's refresh token encrypted under a server key when it grants
 * one; a form waiting for a re-authentication at the provider (the round trip leaves the page);
 * and what the sessions list shows of each session.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await withId(db, db.schema.createTable('oidc_identities'))
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id'))
    .addColumn('issuer', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('email', 'text')
    .addColumn('refresh_token', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('last_login_at', 'text')
    .addUniqueConstraint('oidc_identities_issuer_subject', ['issuer', 'subject'])
    .execute();
  await db.schema.createIndex('oidc_identities_user').on('oidc_identities').column('user_id').execute();

  await db.schema
    .createTable('pending_forms')
    .addColumn('id_hash', 'text', (c) => c.primaryKey())
    .addColumn('session_hash', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('fields', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .execute();

  for (const column of ['last_seen_at', 'user_agent', 'address', 'method']) {
    await db.schema.alterTable('sessions').addColumn(column, 'text').execute();
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const column of ['method', 'address', 'user_agent', 'last_seen_at']) {
    await db.schema.alterTable('sessions').dropColumn(column).execute();
  }
  await db.schema.dropTable('pending_forms').execute();
  await db.schema.dropTable('oidc_identities').execute();
}
