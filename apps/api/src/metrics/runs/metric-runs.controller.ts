import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiRoute, ZodValidationPipe } from '@pulse/service-runtime';
import type { TenantContext } from '@pulse/tenancy';
import type { z } from 'zod';
import { CurrentTenant, TenantTimezone } from '../../auth/current-tenant.decorator';
import { Idempotent } from '../../http/idempotency/idempotent.decorator';
import { IdempotencyOf, type IdempotentResponse } from '../../http/idempotency/idempotent-response';
import { GetMetricRunUseCase } from './get-metric-run.use-case';
import { metricRunParams, metricRunSchema, queuedMetricRunSchema, refreshRequestSchema, type MetricRunDto } from './metric-run.schemas';
import { REFRESH_AS_OF_RANGE_TEXT } from './refresh-as-of';
import { RequestMetricsRefreshUseCase } from './request-metrics-refresh.use-case';
import { idempotencyKeyHeader } from '../../http/openapi-conventions';

@Controller('v1/metrics')
export class MetricRunsController {
  constructor(
    private readonly requestRefresh: RequestMetricsRefreshUseCase,
    private readonly getRun: GetMetricRunUseCase,
  ) {}

  @Post('refresh')
  @HttpCode(202)
  @Idempotent()
  @ApiRoute({
    summary: "Recompute the tenant's KPIs and health scores",
    description: 'Queues a metrics run and returns it; poll GET /v1/metrics/runs/{id}. Send an Idempotency-Key to make retries safe.',
    tags: ['metrics'],
    body: refreshRequestSchema,
    headers: idempotencyKeyHeader,
    responses: {
      202: { description: 'The queued run', schema: queuedMetricRunSchema },
      400: { description: `validation_failed: a malformed body, or an asOf out of range (${REFRESH_AS_OF_RANGE_TEXT})` },
      422: { description: "tenant.invalid_timezone: an asOf, and the tenant's timezone setting is not an IANA name" },
    },
  })
  refresh(
    @CurrentTenant() tenant: TenantContext,
    @TenantTimezone() timezone: string,
    @Body(new ZodValidationPipe(refreshRequestSchema, 'body')) body: z.output<typeof refreshRequestSchema>,
    @IdempotencyOf() idempotent: IdempotentResponse | undefined,
  ): Promise<MetricRunDto> {
    return this.requestRefresh.execute(tenant, body, timezone, idempotent);
  }

  @Get('runs/:id')
  @ApiRoute({
    summary: 'A metrics run: status, as-of date, timings',
    description: 'A failed run has errorCode, a stable code to branch on, and error, a message for people that names the tenant setting, scorecard, KPI value or import at fault, never server internals.',
    tags: ['metrics'],
    params: metricRunParams,
    responses: { 200: { description: 'The run', schema: metricRunSchema }, 404: { description: 'metric_run.not_found' } },
  })
  get(@CurrentTenant() tenant: TenantContext, @Param(new ZodValidationPipe(metricRunParams, 'path')) { id }: z.output<typeof metricRunParams>): Promise<MetricRunDto> {
    return this.getRun.execute(tenant, id);
  }
}
