interface Slot<V> {
  value: V;
  size: number;
  /** Read since the eviction hand last passed it. */
  used: boolean;
}

/**
 * A map bounded by the bytes its values take, with second-chance eviction: a read only sets a
 * flag (one write, no reordering), and eviction drops the oldest value not read since the hand
 * last passed it. The index cache and the .crate cache hold their files in one.
 */
export class SecondChanceCache<V> {
  private readonly slots = new Map<string, Slot<V>>();
  private total = 0;

  constructor(readonly maxBytes: number) {}

  /** The value of `key`, marked as read. */
  peek(key: string): V | undefined {
    const slot = this.slots.get(key);
    if (!slot) return undefined;
    slot.used = true;
    return slot.value;
  }

  has(key: string): boolean {
    return this.slots.has(key);
  }

  /** Keeps `value`, which takes `size` bytes, then evicts until the total fits (the newest value always stays). */
  set(key: string, value: V, size: number): void {
    this.delete(key);
    this.slots.set(key, { value, size, used: false });
    this.total += size;
    while (this.total > this.maxBytes && this.slots.size > 1) this.evictOne();
  }

  delete(key: string): void {
    const slot = this.slots.get(key);
    if (!slot) return;
    this.slots.delete(key);
    this.total -= slot.size;
  }

  keys(): string[] {
    return [...this.slots.keys()];
  }

  clear(): void {
    this.slots.clear();
    this.total = 0;
  }

  /** Bytes held now, by the sizes given to `set`. */
  get bytes(): number {
    return this.total;
  }

  get size(): number {
    return this.slots.size;
  }

  private evictOne(): void {
    for (const [key, slot] of this.slots) {
      this.slots.delete(key);
      if (slot.used) {
        slot.used = false;
        this.slots.set(key, slot);
      } else {
        this.total -= slot.size;
        return;
      }
    }
  }
}
