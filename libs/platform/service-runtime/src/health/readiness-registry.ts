import { Injectable } from '@nestjs/common';

/** A dependency the service cannot serve without; resolves when usable, rejects with the reason when not. */
export type ReadinessProbe = () => Promise<void>;

/**
 * Feature modules register what readiness means for them (a database, a broker) at init; /readyz runs
 * every probe. Also flips to not-ready the moment shutdown starts, so load balancers stop sending work
 * before the listener closes.
 */
@Injectable()
export class ReadinessRegistry {
  private readonly probes = new Map<string, ReadinessProbe>();
  private shuttingDown = false;

  register(name: string, probe: ReadinessProbe): void {
    this.probes.set(name, probe);
  }

  markShuttingDown(): void {
    this.shuttingDown = true;
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  entries(): ReadonlyArray<[string, ReadinessProbe]> {
    return [...this.probes.entries()];
  }
}
