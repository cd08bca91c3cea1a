import { Controller, Get, Inject } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { PROBLEM_JSON_CONTENT_TYPE, problemDetailsSchema } from '@pulse/contracts';
import { z } from 'zod';
import { ApiRoute } from '../openapi/api-route.decorator';
import { withTimeout } from '../with-timeout';
import { HEALTH_OPTIONS, type HealthOptions } from './health.options';
import { ReadinessRegistry } from './readiness-registry';

const livenessSchema = z.object({ status: z.literal('ok') });

/** Terminus's result: each check by name, `up` (info) or `down` (error; only in the 503's problem body). */
const checkResults = z.record(z.string(), z.looseObject({ status: z.enum(['up', 'down']) }));
const readinessSchema = z.object({ status: z.literal('ok'), info: checkResults, error: checkResults, details: checkResults });
/** The 503: problem details (code `not_ready`) with every check, up or down, in `checks` (problem-details.filter.ts). */
const notReadySchema = problemDetailsSchema.extend({ checks: checkResults });

@Controller()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly readiness: ReadinessRegistry,
    @Inject(HEALTH_OPTIONS) private readonly options: HealthOptions,
  ) {}

  /** Liveness: the process and its event loop answer. Never checks dependencies (a DB outage must not restart pods). */
  @Get('healthz')
  @ApiRoute({ summary: 'Liveness: the process answers', public: true, tags: ['health'], responses: { 200: { description: 'Alive', schema: livenessSchema } } })
  liveness() {
    return { status: 'ok' };
  }

  /** Readiness: every registered dependency answers within the probe timeout, and no shutdown has begun. */
  @Get('readyz')
  @ApiRoute({
    summary: 'Readiness: every dependency answers',
    public: true,
    tags: ['health'],
    responses: { 200: { description: 'Ready: every check up', schema: readinessSchema }, 503: { description: 'not_ready: problem+json listing each check', schema: notReadySchema, contentType: PROBLEM_JSON_CONTENT_TYPE } },
  })
  @HealthCheck()
  readinessCheck() {
    const checks = this.readiness.entries().map(([name, probe]) => () => this.run(name, probe));
    const shutdown = async (): Promise<HealthIndicatorResult> => {
      const indicator = this.indicators.check('shutdown');
      return this.readiness.isShuttingDown ? indicator.down({ message: 'shutting down' }) : indicator.up();
    };
    return this.health.check([shutdown, ...checks]);
  }

  private async run(name: string, probe: () => Promise<void>): Promise<HealthIndicatorResult> {
    const indicator = this.indicators.check(name);
    try {
      await withTimeout(probe(), this.options.probeTimeoutMs);
      return indicator.up();
    } catch (error) {
      return indicator.down({ message: error instanceof Error ? error.message : String(error) });
    }
  }
}
