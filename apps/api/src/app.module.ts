import { Module, type DynamicModule } from '@nestjs/common';
import { MessagingModule } from '@pulse/messaging';
import { PostgresModule } from '@pulse/service-runtime';
import { API_CONFIG, type ApiConfig } from './config/api.config';

/** Composition root of the api service (Public REST API for tenants). */
@Module({})
export class AppModule {
  static register(config: ApiConfig): DynamicModule {
    return {
      module: AppModule,
      global: true,
      imports: [
        MessagingModule.forRoot({ settings: config.messaging }),
        PostgresModule.forRoot({ url: config.database.url, applicationName: 'api', maxConnections: 2 }),
      ],
      providers: [{ provide: API_CONFIG, useValue: config }],
      exports: [API_CONFIG],
    };
  }
}
