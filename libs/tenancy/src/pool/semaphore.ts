/** Gives back one permit; calling it again does nothing. */
export type ReleasePermit = () => void;

export class PermitTimeoutError extends Error {
  constructor(readonly waitedMs: number) {
    super(`No permit became free within ${waitedMs} ms`);
    this.name = 'PermitTimeoutError';
  }
}

interface Waiter {
  grant: (release: ReleasePermit) => void;
  timer?: ReturnType<typeof setTimeout>;
}

/**
 * A counting semaphore with FIFO waiters and a wait timeout. `inUse` never exceeds `capacity`: a permit
 * freed while others wait passes straight to the first waiter. `onQueued` runs (synchronously) each
 * time a caller has to wait, so the owner can try to free capacity (e.g. close idle connections).
 */
export class Semaphore {
  private used = 0;
  private readonly waiters: Waiter[] = [];

  constructor(
    readonly capacity: number,
    private readonly onQueued: () => void = () => undefined,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
  }

  get inUse(): number {
    return this.used;
  }

  get waiting(): number {
    return this.waiters.length;
  }

  /** A permit now if one is free, else undefined (never waits). */
  tryAcquire(): ReleasePermit | undefined {
    if (this.used >= this.capacity || this.waiters.length > 0) return undefined;
    this.used += 1;
    return this.releaser();
  }

  /** Resolves with a permit, waiting up to `timeoutMs` (rejects with PermitTimeoutError after). */
  acquire(timeoutMs: number): Promise<ReleasePermit> {
    const now = this.tryAcquire();
    if (now) return Promise.resolve(now);
    return new Promise<ReleasePermit>((resolve, reject) => {
      const waiter: Waiter = { grant: resolve };
      waiter.timer = setTimeout(() => {
        const index = this.waiters.indexOf(waiter);
        if (index >= 0) this.waiters.splice(index, 1);
        reject(new PermitTimeoutError(timeoutMs));
      }, timeoutMs);
      this.waiters.push(waiter);
      this.onQueued();
    });
  }

  private releaser(): ReleasePermit {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiters.shift();
      if (next) {
        // The permit changes hands: `used` stays the same.
        clearTimeout(next.timer);
        next.grant(this.releaser());
      } else {
        this.used -= 1;
      }
    };
  }
}
