import { Module, type DynamicModule } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { MessagingModule } from '@pulse/messaging';
import { BodyMediaTypeGuard, MalformedBodyGuard, OpenApiModule, PostgresModule, UndeclaredBodyGuard, UndeclaredQueryGuard } from '@pulse/service-runtime';
import { API_RESPONSE_HEADERS, apiResponseHeaders } from './http/openapi-conventions';
import { ApiKeyScopeGuard } from './auth/api-key-scope.guard';
import { TenantAuthGuard } from './auth/tenant-auth.guard';
import { TenantHostGuard } from './auth/tenant-host.guard';
import { API_CONFIG, type ApiConfig } from './config/api.config';
import { CustomersModule } from './customers/customers.module';
import { HealthDistributionModule } from './health/health-distribution.module';
import { MetricSeriesModule } from './metrics/series/metric-series.module';
import { ProductsModule } from './products/products.module';
import { DocsModule } from './docs/docs.module';
import { HttpConventionsModule } from './http/http-conventions.module';
import { RateLimitGuard } from './http/rate-limit/rate-limit.guard';
import { ImportsModule } from './imports/imports.module';
import { UploadMediaTypeGuard } from './imports/upload-content-type';
import { MetricRunsModule } from './metrics/runs/metric-runs.module';
import { ScorecardModule } from './scorecard/scorecard.module';
import { SourcesModule } from './sources/sources.module';
import { TenancyModule } from './tenancy/tenancy.module';

/** Composition root of the api service (the public REST API for tenants). */
@Module({})
export class AppModule {
  static register(config: ApiConfig): DynamicModule {
    return {
      module: AppModule,
      global: true,
      imports: [
        MessagingModule.forRoot({ settings: config.messaging }),
        // The control plane: tenant resolution and tenant database locations.
        PostgresModule.forRoot({ url: config.database.url, applicationName: 'api', maxConnections: 2 }),
        OpenApiModule.forRoot({
          title: 'Pulse API',
          version: config.service.version,
          bearerDescription: 'Your tenant API key (pulse_<prefix>_<secret>), issued by the operator.',
          responseHeaders: apiResponseHeaders,
          headers: API_RESPONSE_HEADERS,
        }),
        TenancyModule,
        HttpConventionsModule,
        CustomersModule,
        ProductsModule,
        MetricSeriesModule,
        HealthDistributionModule,
        MetricRunsModule,
        ScorecardModule,
        ImportsModule,
        SourcesModule,
        DocsModule,
      ],
      providers: [
        { provide: API_CONFIG, useValue: config },
        // Global guards run in this order: who the tenant is, its rate limit, whether the key's scopes
        // allow the method, then a body of a media type the route takes, a JSON body that parses, no body
        // on a route that takes none, and no undeclared query parameter.
        // Authentication first: a client without a valid key gets 401/403 before any 400 about its request.
        { provide: APP_GUARD, useClass: TenantAuthGuard },
        { provide: APP_GUARD, useClass: RateLimitGuard },
        { provide: APP_GUARD, useClass: TenantHostGuard },
        { provide: APP_GUARD, useClass: ApiKeyScopeGuard },
        // An upload route refuses other media types with 415 before a JSON body's parse error is looked at;
        // any other route a body Fastify left unread (not JSON), with the 415 that names JSON.
        { provide: APP_GUARD, useClass: UploadMediaTypeGuard },
        { provide: APP_GUARD, useClass: BodyMediaTypeGuard },
        { provide: APP_GUARD, useClass: MalformedBodyGuard },
        { provide: APP_GUARD, useClass: UndeclaredBodyGuard },
        { provide: APP_GUARD, useClass: UndeclaredQueryGuard },
      ],
      // Global: feature modules reach the config and the control-plane pool without re-importing them.
      exports: [API_CONFIG, PostgresModule],
    };
  }
}
