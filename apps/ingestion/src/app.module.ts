import { Module, type DynamicModule } from '@nestjs/common';
import { MessagingModule } from '@pulse/messaging';
import { PostgresModule } from '@pulse/service-runtime';
import { INGESTION_CONFIG, type IngestionConfig } from './config/ingestion.config';

/** Composition root of the ingestion service (Connectors, parsing, validation and bulk loading of tenant data). */
@Module({})
export class AppModule {
  static register(config: IngestionConfig): DynamicModule {
    return {
      module: AppModule,
      global: true,
      imports: [
        MessagingModule.forRoot({ settings: config.messaging }),
        PostgresModule.forRoot({ url: config.database.url, applicationName: 'ingestion', maxConnections: 2 }),
      ],
      providers: [{ provide: INGESTION_CONFIG, useValue: config }],
      exports: [INGESTION_CONFIG],
    };
  }
}
