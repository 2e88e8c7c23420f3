import type { Kysely } from 'kysely';
import { withId } from './column-helpers.js';

/**
 * Second factors: one TOTP secret per user (encrypted with a server key, confirmed by a first
 * code, with the last time step used so a code works once), single-use recovery codes (SHA-256
 * only), WebAuthn credentials (passkeys and security keys), the short-lived challenges of a
 * sign-in in progress, and the notice owed to a user whose factors an administrator reset.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('user_totp')
    .addColumn('user_id', 'integer', (c) => c.primaryKey().references('users.id').onDelete('cascade'))
    /** `v1.<iv>.<tag>.<ciphertext>` (AES-256-GCM under the server key `totp-secrets`). */
    .addColumn('secret', 'text', (c) => c.notNull())
    /** Null while enrolment waits for its first code. */
    .addColumn('confirmed_at', 'text')
    .addColumn('last_step', 'bigint')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await withId(db, db.schema.createTable('recovery_codes'))
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('code_hash', 'text', (c) => c.notNull())
    .addColumn('used_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('recovery_codes_user').on('recovery_codes').columns(['user_id', 'code_hash']).execute();

  await withId(db, db.schema.createTable('webauthn_credentials'))
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
    /** base64url, as the browser reports it. */
    .addColumn('credential_id', 'text', (c) => c.notNull().unique())
    .addColumn('public_key', 'text', (c) => c.notNull())
    .addColumn('counter', 'bigint', (c) => c.notNull())
    /** JSON array of transports (usb, internal, hybrid ...). */
    .addColumn('transports', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('last_used_at', 'text')
    .execute();
  await db.schema.createIndex('webauthn_credentials_user').on('webauthn_credentials').column('user_id').execute();

  await db.schema
    .createTable('auth_challenges')
    /** SHA-256 of the purpose and the browser's cookie: the challenge belongs to that browser. */
    .addColumn('key_hash', 'text', (c) => c.primaryKey())
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('user_id', 'integer')
    .addColumn('challenge', 'text')
    /** JSON: what the step needs to go on (the identity provider, the page to go back to). */
    .addColumn('detail', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('factor_resets')
    .addColumn('user_id', 'integer', (c) => c.primaryKey().references('users.id').onDelete('cascade'))
    .addColumn('reset_at', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('factor_resets').execute();
  await db.schema.dropTable('auth_challenges').execute();
  await db.schema.dropTable('webauthn_credentials').execute();
  await db.schema.dropTable('recovery_codes').execute();
  await db.schema.dropTable('user_totp').execute();
}
