/**
 * At most `limit` tasks at once in this replica, shared fairly between keys (tenants): a freed slot goes to
 * the waiting task whose key has the fewest tasks running, the earliest of those first, so one tenant's
 * backlog of large imports does not hold up another tenant's import behind all of it; one key's tasks
 * still start in arrival order. (Pub/Sub flow control bounds messages per subscription; imports are
 * heavier than other messages, so they get their own bound.)
 */
export class BoundedConcurrency {
  private active = 0;
  private readonly activeByKey = new Map<string, number>();
  private readonly waiting: Array<{ key: string; start: () => void }> = [];

  constructor(private readonly limit: number) {}

  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    // A waiting task's slot is taken for it by the task that frees it (end), so no newcomer can slip in between.
    if (this.active < this.limit) this.begin(key);
    else await new Promise<void>((start) => this.waiting.push({ key, start }));
    try {
      return await task();
    } finally {
      this.end(key);
    }
  }

  private begin(key: string): void {
    this.active += 1;
    this.activeByKey.set(key, this.running(key) + 1);
  }

  private end(key: string): void {
    this.active -= 1;
    const left = this.running(key) - 1;
    if (left > 0) this.activeByKey.set(key, left);
    else this.activeByKey.delete(key);
    const next = this.takeNext();
    if (next) {
      this.begin(next.key);
      next.start();
    }
  }

  /** The earliest waiting task among those whose key has the fewest running (a scan: at most Pub/Sub's in-flight bound waits). */
  private takeNext(): { key: string; start: () => void } | undefined {
    let best = -1;
    for (let i = 0; i < this.waiting.length; i++) {
      if (best === -1 || this.running((this.waiting[i] as { key: string }).key) < this.running((this.waiting[best] as { key: string }).key)) best = i;
    }
    return best === -1 ? undefined : this.waiting.splice(best, 1)[0];
  }

  private running(key: string): number {
    return this.activeByKey.get(key) ?? 0;
  }
}
