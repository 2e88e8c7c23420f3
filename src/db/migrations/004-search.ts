import { type Kysely, PostgresAdapter, sql } from 'kysely';

/**
 * SQLite: a trigram full-text index over the searched crate fields, so a search reads the few
 * crates that contain the query instead of scanning every row (121 ms at 100k crates before, see
 * bench/README.md). Triggers keep it in step with `crates` whatever writes there. PostgreSQL keeps
 * the plain LIKE scan: the trigram extension there (pg_trgm) is not always installable.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  if (db.getExecutor().adapter instanceof PostgresAdapter) return;
  await sql`create virtual table crate_search using fts5(name, description, keywords, tokenize = 'trigram')`.execute(db);
  await sql`insert into crate_search (rowid, name, description, keywords)
            select id, canonical_name, coalesce(description, ''), keywords from crates`.execute(db);
  await sql`create trigger crate_search_insert after insert on crates begin
              insert into crate_search (rowid, name, description, keywords)
              values (new.id, new.canonical_name, coalesce(new.description, ''), new.keywords);
            end`.execute(db);
  await sql`create trigger crate_search_update after update of canonical_name, description, keywords on crates begin
              update crate_search set name = new.canonical_name, description = coalesce(new.description, ''), keywords = new.keywords
              where rowid = old.id;
            end`.execute(db);
  await sql`create trigger crate_search_delete after delete on crates begin
              delete from crate_search where rowid = old.id;
            end`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  if (db.getExecutor().adapter instanceof PostgresAdapter) return;
  for (const trigger of ['crate_search_insert', 'crate_search_update', 'crate_search_delete']) {
    await sql`drop trigger if exists ${sql.id(trigger)}`.execute(db);
  }
  await sql`drop table if exists crate_search`.execute(db);
}
