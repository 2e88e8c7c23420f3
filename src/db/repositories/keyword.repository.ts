import type { Db } from '../create-db.js';

export interface KeywordRow {
  keyword: string;
  crates_cnt: number;
  created_at: string;
}

/** Makes the crate's keyword rows those of `keywords` (lowercased), keeping when each was first given. */
export async function replaceCrateKeywords(db: Db, crateId: number, keywords: readonly string[], now: string): Promise<void> {
  const wanted = [...new Set(keywords.map((k) => k.toLowerCase()))];
  const current = (await db.selectFrom('crate_keywords').select('keyword').where('crate_id', '=', crateId).execute()).map((r) => r.keyword);
  const gone = current.filter((k) => !wanted.includes(k));
  const added = wanted.filter((k) => !current.includes(k));
  if (gone.length > 0) await db.deleteFrom('crate_keywords').where('crate_id', '=', crateId).where('keyword', 'in', gone).execute();
  if (added.length > 0) await db.insertInto('crate_keywords').values(added.map((keyword) => ({ crate_id: crateId, keyword, created_at: now }))).execute();
}

function keywordCounts(db: Db) {
  return db
    .selectFrom('crate_keywords')
    .select((eb) => ['keyword', eb.fn.countAll<number>().as('crates_cnt'), eb.fn.min('created_at').as('created_at')])
    .groupBy('keyword');
}

export async function listKeywords(db: Db, opts: { sort: 'alpha' | 'crates'; limit: number; offset: number }): Promise<KeywordRow[]> {
  let query = keywordCounts(db);
  query = opts.sort === 'crates' ? query.orderBy('crates_cnt', 'desc').orderBy('keyword') : query.orderBy('keyword');
  const rows = await query.limit(opts.limit).offset(opts.offset).execute();
  return rows.map((r) => ({ keyword: r.keyword, crates_cnt: Number(r.crates_cnt), created_at: String(r.created_at) }));
}

export async function countKeywords(db: Db): Promise<number> {
  const row = await db.selectFrom('crate_keywords').select((eb) => eb.fn.count<number>('keyword').distinct().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function findKeyword(db: Db, keyword: string): Promise<KeywordRow | undefined> {
  const row = await keywordCounts(db).where('keyword', '=', keyword.toLowerCase()).executeTakeFirst();
  return row && { keyword: row.keyword, crates_cnt: Number(row.crates_cnt), created_at: String(row.created_at) };
}

/** A crate's keywords with their counts, by keyword. */
export async function listCrateKeywords(db: Db, crateId: number): Promise<KeywordRow[]> {
  const own = await db.selectFrom('crate_keywords').select('keyword').where('crate_id', '=', crateId).execute();
  if (own.length === 0) return [];
  const rows = await keywordCounts(db).where('keyword', 'in', own.map((r) => r.keyword)).orderBy('keyword').execute();
  return rows.map((r) => ({ keyword: r.keyword, crates_cnt: Number(r.crates_cnt), created_at: String(r.created_at) }));
}
