import { Redis } from 'ioredis';
import { newVersion, type SharedStore, type StoreLog, type StoredValue, storeUnavailable } from './shared-store.js';

/** Bounds on every exchange with Redis: a dead or slow server costs a request this long at most. */
export const REDIS_TIMEOUTS = { connectTimeout: 2000, commandTimeout: 1500, maxRetriesPerRequest: 1 } as const;

/**
 * Writes KEYS[1] when it holds exactly ARGV[1] and that is live, or when ARGV[1] is empty and it
 * holds nothing live; a stored value starts with its expiry in milliseconds of the registry's clock.
 */
const COMPARE_AND_SET = `
local cur = redis.call('GET', KEYS[1])
local live = cur and tonumber(string.match(cur, '^(%d+)|')) > tonumber(ARGV[3])
if ARGV[1] == '' then
  if live then return 0 end
elseif not live or cur ~= ARGV[1] then
  return 0
end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[4])
return 1
`;

type CasRedis = Redis & { wharfCas(key: string, expected: string, value: string, now: string, ttlMs: string): Promise<number> };

/**
 * The shared counts in Redis (`redis_url`): the only code that talks to Redis. Each key lives
 * under `redis_prefix` and carries a TTL, so Redis forgets what expired by itself. Every command
 * has a deadline (queued while reconnecting included); a failure is logged and answered 503 by the limit that asked
 * (fail closed: a limit that cannot be checked refuses rather than lets everything through).
 */
export class RedisStore implements SharedStore {
  readonly kind = 'redis';
  private readonly redis: CasRedis;
  private lastError = '';
  private log: StoreLog | null = null;

  constructor(
    url: string,
    private readonly prefix: string,
  ) {
    this.redis = new Redis(url, {
      ...REDIS_TIMEOUTS,
      // Reconnect in the background; requests meanwhile fail after commandTimeout.
      retryStrategy: (times) => Math.min(times * 200, 2000),
      lazyConnect: false,
    }) as CasRedis;
    this.redis.defineCommand('wharfCas', { numberOfKeys: 1, lua: COMPARE_AND_SET });
    this.redis.on('error', (err: Error) => this.failed(err));
    this.redis.on('ready', () => (this.lastError = ''));
  }

  async read(key: string, now: number): Promise<StoredValue | null> {
    const raw = await this.call(() => this.redis.get(this.prefix + key));
    if (raw === null) return null;
    const match = /^(\d+)\|[^|]*\|/.exec(raw);
    if (!match || Number(match[1]) <= now) return null;
    return { value: raw.slice(match[0].length), version: raw };
  }

  async write(key: string, expected: string | null, value: string, expiresAt: number, now: number): Promise<boolean> {
    const raw = `${expiresAt}|${newVersion()}|${value}`;
    const ttl = String(Math.max(1, expiresAt - now));
    return (await this.call(() => this.redis.wharfCas(this.prefix + key, expected ?? '', raw, String(now), ttl))) === 1;
  }

  useLog(log: StoreLog): void {
    this.log = log;
  }

  async sweep(): Promise<number> {
    return 0;
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }

  private async call<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (err) {
      this.failed(err as Error);
      throw storeUnavailable('its Redis server does not answer');
    }
  }

  /** Logs each distinct failure once until Redis answers again, not once per request. */
  private failed(err: Error): void {
    if (err.message === this.lastError) return;
    this.lastError = err.message;
    this.log?.warn({ err: { message: err.message } }, 'Redis (redis_url) failed; the limits kept there answer 503 until it is back');
  }
}
