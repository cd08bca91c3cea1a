import { Module, type DynamicModule } from '@nestjs/common';
import { MessagingModule } from '@pulse/messaging';
import { PostgresModule } from '@pulse/service-runtime';
import { INGESTION_CONFIG, type IngestionConfig } from './config/ingestion.config';
import { ImportsModule } from './imports/imports.module';
import { SourcesModule } from './sources/sources.module';

/** Composition root of the ingestion service (Connectors, parsing, validation and bulk loading of tenant data). */
@Module({})
export class AppModule {
  static register(config: IngestionConfig): DynamicModule {
    return {
      module: AppModule,
      global: true,
      imports: [
        MessagingModule.forRoot({ settings: config.messaging }),
        // The control plane: where tenant databases are, tenant settings.
        PostgresModule.forRoot({ url: config.database.url, applicationName: 'ingestion', maxConnections: 2 }),
        ImportsModule,
        SourcesModule,
      ],
      providers: [{ provide: INGESTION_CONFIG, useValue: config }],
      // Global: feature modules reach the config and the control-plane pool without re-importing them.
      exports: [INGESTION_CONFIG, PostgresModule],
    };
  }
}
