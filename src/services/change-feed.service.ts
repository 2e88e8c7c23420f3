import type { Db } from '../db/create-db.js';
import type { Clock } from './context.js';
import type { IndexCache } from './index.service.js';

/** Feed rows older than this are pruned; an instance that falls further behind clears its whole cache. */
const RETENTION_MS = 60 * 60 * 1000;
const PRUNE_EVERY_MS = 10 * 60 * 1000;
const BATCH = 1000;

/** Records, inside the caller's transaction, that a crate's index file changed. */
export async function recordIndexChange(tx: Db, clock: Clock, crateName: string): Promise<void> {
  await tx.insertInto('index_changes').values({ crate_name: crateName, created_at: clock.now().toISOString() }).execute();
}

/**
 * Keeps this instance's index cache in step with changes made by other instances (or other
 * processes on the same SQLite file): polls the feed and invalidates what changed.
 */
export class ChangeFeed {
  private lastId = 0;
  private timer: NodeJS.Timeout | null = null;
  private lastPrune = 0;
  private polling: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly index: IndexCache,
  ) {}

  /** Starts from the newest change: everything before it is already what a fresh render shows. */
  async start(intervalMs: number): Promise<void> {
    const row = await this.db.selectFrom('index_changes').select((eb) => eb.fn.max('id').as('max')).executeTakeFirst();
    this.lastId = Number(row?.max ?? 0);
    this.timer = setInterval(() => void this.poll().catch(() => undefined), intervalMs);
    this.timer.unref();
  }

  /** One poll; polls never overlap. */
  poll(): Promise<void> {
    this.polling = this.polling.then(() => this.pollOnce());
    return this.polling;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.polling.catch(() => undefined);
  }

  private async pollOnce(): Promise<void> {
    const rows = await this.db
      .selectFrom('index_changes')
      .select(['id', 'crate_name'])
      .where('id', '>', this.lastId)
      .orderBy('id')
      .limit(BATCH)
      .execute();
    if (rows.length === BATCH) {
      // Too far behind to replay one by one: start over from the database.
      this.index.clear();
    } else {
      for (const row of rows) this.index.invalidate(row.crate_name);
    }
    if (rows.length > 0) this.lastId = Number(rows[rows.length - 1]!.id);
    await this.prune();
  }

  private async prune(): Promise<void> {
    const now = this.clock.now().getTime();
    if (now - this.lastPrune < PRUNE_EVERY_MS) return;
    this.lastPrune = now;
    await this.db.deleteFrom('index_changes').where('created_at', '<', new Date(now - RETENTION_MS).toISOString()).execute();
  }
}
