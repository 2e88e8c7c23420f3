import type { Kysely } from 'kysely';
import { withId } from './column-helpers.js';

export async function up(db: Kysely<unknown>): Promise<void> {
  await withId(db, db.schema.createTable('users'))
    .addColumn('login', 'text', (c) => c.notNull())
    .addColumn('login_lower', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text')
    .addColumn('email', 'text')
    .addColumn('is_admin', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('password_hash', 'text')
    .addColumn('locked_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await withId(db, db.schema.createTable('crates'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('canonical_name', 'text', (c) => c.notNull().unique())
    .addColumn('description', 'text')
    .addColumn('homepage', 'text')
    .addColumn('documentation', 'text')
    .addColumn('repository', 'text')
    .addColumn('readme', 'text')
    .addColumn('keywords', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('categories', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('downloads', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('crates_updated_at').on('crates').column('updated_at').execute();
  await db.schema.createIndex('crates_downloads').on('crates').column('downloads').execute();

  await withId(db, db.schema.createTable('versions'))
    .addColumn('crate_id', 'integer', (c) => c.notNull().references('crates.id').onDelete('cascade'))
    .addColumn('num', 'text', (c) => c.notNull())
    .addColumn('num_no_build', 'text', (c) => c.notNull())
    .addColumn('checksum', 'text', (c) => c.notNull())
    .addColumn('features', 'text', (c) => c.notNull())
    .addColumn('links', 'text')
    .addColumn('rust_version', 'text')
    .addColumn('license', 'text')
    .addColumn('description', 'text')
    .addColumn('crate_size', 'integer', (c) => c.notNull())
    .addColumn('yanked', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('downloads', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('published_by', 'integer', (c) => c.references('users.id'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('versions_crate_num_no_build', ['crate_id', 'num_no_build'])
    .execute();

  await withId(db, db.schema.createTable('dependencies'))
    .addColumn('version_id', 'integer', (c) => c.notNull().references('versions.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('explicit_name', 'text')
    .addColumn('req', 'text', (c) => c.notNull())
    .addColumn('features', 'text', (c) => c.notNull())
    .addColumn('optional', 'integer', (c) => c.notNull())
    .addColumn('default_features', 'integer', (c) => c.notNull())
    .addColumn('target', 'text')
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('registry', 'text')
    .execute();
  await db.schema.createIndex('dependencies_version_id').on('dependencies').column('version_id').execute();
  await db.schema.createIndex('dependencies_name').on('dependencies').column('name').execute();

  await db.schema
    .createTable('crate_owners')
    .addColumn('crate_id', 'integer', (c) => c.notNull().references('crates.id').onDelete('cascade'))
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'integer', (c) => c.references('users.id'))
    .addPrimaryKeyConstraint('crate_owners_pk', ['crate_id', 'user_id'])
    .execute();
  await db.schema.createIndex('crate_owners_user_id').on('crate_owners').column('user_id').execute();

  await withId(db, db.schema.createTable('api_tokens'))
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('last_used_at', 'text')
    .addColumn('expires_at', 'text')
    .addColumn('scopes', 'text', (c) => c.notNull())
    .addColumn('crate_patterns', 'text', (c) => c.notNull())
    .addColumn('revoked_at', 'text')
    .addColumn('revoked_reason', 'text')
    .addColumn('revoked_by', 'integer', (c) => c.references('users.id'))
    .execute();
  await db.schema.createIndex('api_tokens_user_id').on('api_tokens').column('user_id').execute();

  await db.schema
    .createTable('version_downloads')
    .addColumn('version_id', 'integer', (c) => c.notNull().references('versions.id').onDelete('cascade'))
    .addColumn('date', 'text', (c) => c.notNull())
    .addColumn('downloads', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('version_downloads_pk', ['version_id', 'date'])
    .execute();

  await withId(db, db.schema.createTable('audit_log'))
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('user_id', 'integer', (c) => c.references('users.id'))
    .addColumn('token_id', 'integer', (c) => c.references('api_tokens.id'))
    .addColumn('crate_name', 'text')
    .addColumn('version', 'text')
    .addColumn('detail', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('audit_log_user_id').on('audit_log').columns(['user_id', 'created_at']).execute();
  await db.schema.createIndex('audit_log_created_at').on('audit_log').column('created_at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['audit_log', 'version_downloads', 'api_tokens', 'crate_owners', 'dependencies', 'versions', 'crates', 'users']) {
    await db.schema.dropTable(table).execute();
  }
}
