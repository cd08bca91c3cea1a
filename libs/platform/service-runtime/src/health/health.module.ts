import { Global, Module, type DynamicModule } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController } from './health.controller';
import { HEALTH_OPTIONS, type HealthOptions } from './health.options';
import { ReadinessRegistry } from './readiness-registry';

/** GET /healthz and GET /readyz for every service; global so any module can register a readiness probe. */
@Global()
@Module({})
export class HealthModule {
  static forRoot(options: HealthOptions = { probeTimeoutMs: 2_000 }): DynamicModule {
    return {
      module: HealthModule,
      // Terminus logs every failed check itself; failures already show in the /readyz body and probes.
      imports: [TerminusModule.forRoot({ logger: false })],
      controllers: [HealthController],
      providers: [ReadinessRegistry, { provide: HEALTH_OPTIONS, useValue: options }],
      exports: [ReadinessRegistry],
    };
  }
}
