import { Inject, Injectable, Logger, Module, type DynamicModule, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Secret } from '@pulse/config';
import { Pool } from 'pg';
import { ReadinessRegistry } from '../health/readiness-registry';

export const POSTGRES_POOL = Symbol('POSTGRES_POOL');

export interface PostgresOptions {
  url: Secret;
  applicationName: string;
  maxConnections: number;
}

/** Registers the pool's readiness probe and closes the pool on shutdown, after the listener has drained. */
@Injectable()
class PostgresLifecycle implements OnModuleInit, OnApplicationShutdown {
  constructor(
    @Inject(POSTGRES_POOL) private readonly pool: Pool,
    private readonly readiness: ReadinessRegistry,
  ) {}

  onModuleInit(): void {
    this.readiness.register('postgres', async () => {
      await this.pool.query('SELECT 1');
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pool.end();
  }
}

/** A small `pg` pool for a service's own PostgreSQL database, with a readiness probe. */
@Module({})
export class PostgresModule {
  static forRoot(options: PostgresOptions): DynamicModule {
    return {
      module: PostgresModule,
      providers: [
        {
          provide: POSTGRES_POOL,
          useFactory: () => {
            const pool = new Pool({
              connectionString: options.url.reveal(),
              application_name: options.applicationName,
              max: options.maxConnections,
              connectionTimeoutMillis: 2_000,
              idleTimeoutMillis: 30_000,
            });
            // An idle client losing its connection (DB restart) must not crash the process; the
            // readiness probe reports the outage and the pool reconnects on next use.
            const logger = new Logger('PostgresPool');
            const lost = (error: Error) => logger.warn(`PostgreSQL connection lost: ${error.message}`);
            pool.on('error', lost);
            // pg-pool listens for errors of idle clients only; a checked-out client's would be unhandled.
            pool.on('connect', (client) => client.on('error', lost));
            return pool;
          },
        },
        PostgresLifecycle,
      ],
      exports: [POSTGRES_POOL],
    };
  }
}
