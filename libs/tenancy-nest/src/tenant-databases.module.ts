import { Injectable, Module, type DynamicModule, type InjectionToken, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Secret } from '@pulse/config';
import { SecretBox } from '@pulse/crypto';
import { EventPublisher, TenantOutboxSweeper } from '@pulse/messaging';
import { POSTGRES_POOL, ROOT_LOGGER } from '@pulse/service-runtime';
import { controlPlaneConnectionResolver, liveTenantDatabases, TenantDatabasePool, type LiveTenant } from '@pulse/tenancy';
import type { Pool } from 'pg';
import type { Logger } from 'pino';

/** What a service says about its way to tenant databases (from its own config). */
export interface TenantDatabasesOptions {
  /** application_name of its connections (pg_stat_activity). */
  applicationName: string;
  /** Decrypts tenant database passwords read from the control plane. */
  secretsKey: Secret;
  perTenantConnections: number;
  maxConnections: number;
  /** How long a caller may wait for a connection (default: the pool's). */
  acquireTimeoutMs?: number;
  /** How long opening a connection may take before the caller gets an error (default: the pool's, 10 s). */
  connectTimeoutMs?: number;
  /** How long a statement may run (default: the pool's, no limit); see TenantDatabasePoolOptions.queryTimeoutMs. */
  queryTimeoutMs?: number;
  /** The events the service writes to tenant outboxes (its IAM role may publish these only) and how often to sweep. */
  outbox: { topics: readonly string[]; sweepIntervalMs: number };
}

const OPTIONS = Symbol('TENANT_DATABASES_OPTIONS');

/** Starts the outbox sweeper with the app; at shutdown stops it before closing the tenant pools. */
@Injectable()
class TenantDatabasesLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    private readonly pool: TenantDatabasePool,
    private readonly sweeper: TenantOutboxSweeper<LiveTenant>,
  ) {}

  onApplicationBootstrap(): void {
    this.sweeper.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.sweeper.stop();
    await this.pool.close();
  }
}

/**
 * A service's way to tenant databases, the same in every service: TenantDatabasePool (the only way any
 * code reaches tenant data, located through the control plane) and the TenantOutboxSweeper that
 * publishes the service's events left unpublished in tenant outboxes (docs/messaging.md). Needs the
 * service's PostgresModule (the control plane), MessagingModule and logging.
 */
@Module({})
export class TenantDatabasesModule {
  static forRootAsync(options: { inject: InjectionToken[]; useFactory: (...args: never[]) => TenantDatabasesOptions }): DynamicModule {
    return {
      module: TenantDatabasesModule,
      providers: [
        { provide: OPTIONS, inject: options.inject, useFactory: options.useFactory },
        {
          provide: TenantDatabasePool,
          inject: [POSTGRES_POOL, OPTIONS, ROOT_LOGGER],
          useFactory: (controlPlane: Pool, settings: TenantDatabasesOptions, logger: Logger) =>
            new TenantDatabasePool({
              resolveConnection: controlPlaneConnectionResolver(controlPlane, SecretBox.fromBase64(settings.secretsKey.reveal())),
              maxConnectionsPerTenant: settings.perTenantConnections,
              maxTotalConnections: settings.maxConnections,
              applicationName: settings.applicationName,
              ...(settings.acquireTimeoutMs === undefined ? {} : { acquireTimeoutMs: settings.acquireTimeoutMs }),
              ...(settings.connectTimeoutMs === undefined ? {} : { connectionTimeoutMs: settings.connectTimeoutMs }),
              ...(settings.queryTimeoutMs === undefined ? {} : { queryTimeoutMs: settings.queryTimeoutMs }),
              onIdleConnectionError: (error, tenantId) => logger.warn({ err: error, tenantId }, 'idle tenant connection lost'),
            }),
        },
        {
          provide: TenantOutboxSweeper,
          inject: [POSTGRES_POOL, TenantDatabasePool, EventPublisher, OPTIONS, ROOT_LOGGER],
          useFactory: (controlPlane: Pool, tenants: TenantDatabasePool, publisher: EventPublisher, settings: TenantDatabasesOptions, logger: Logger) =>
            new TenantOutboxSweeper({
              ...liveTenantDatabases(controlPlane, tenants),
              publish: (message) => publisher.publishMessage(message),
              logger: logger.child({ component: 'tenant-outbox-sweeper' }),
              topics: settings.outbox.topics,
              intervalMs: settings.outbox.sweepIntervalMs,
            }),
        },
        TenantDatabasesLifecycle,
      ],
      exports: [TenantDatabasePool],
    };
  }
}
