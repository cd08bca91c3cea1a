/**
 * Keys remembered for `ttlMs`, at most `maxEntries` of them: when full, the oldest is forgotten first
 * (every entry lives as long, so the oldest is also the first to expire). A TTL of 0 remembers nothing.
 * Bounded, so that a client sending endless distinct names cannot grow it, nor clear it for everyone.
 */
export class ExpiringSet {
  private readonly expiries = new Map<string, number>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries: number,
  ) {}

  has(key: string): boolean {
    const expiresAt = this.expiries.get(key);
    if (expiresAt === undefined) return false;
    if (expiresAt > Date.now()) return true;
    this.expiries.delete(key);
    return false;
  }

  add(key: string): void {
    if (this.ttlMs <= 0 || this.maxEntries <= 0) return;
    this.expiries.delete(key);
    while (this.expiries.size >= this.maxEntries) this.expiries.delete(this.expiries.keys().next().value as string);
    this.expiries.set(key, Date.now() + this.ttlMs);
  }

  clear(): void {
    this.expiries.clear();
  }

  get size(): number {
    return this.expiries.size;
  }
}
