import { Body, Controller, Get, Put } from '@nestjs/common';
import type { ScorecardDefinition } from '@pulse/contracts';
import { ApiRoute, ZodValidationPipe } from '@pulse/service-runtime';
import type { TenantContext } from '@pulse/tenancy';
import { CurrentTenant } from '../auth/current-tenant.decorator';
import { GetScorecardUseCase } from './get-scorecard.use-case';
import { scorecardPutSchema, scorecardSchema, scorecardUpdateSchema, type ScorecardDto, type ScorecardUpdateDto } from './scorecard.schemas';
import { UpdateScorecardUseCase } from './update-scorecard.use-case';

@Controller('v1/scorecard')
export class ScorecardController {
  constructor(
    private readonly getScorecard: GetScorecardUseCase,
    private readonly updateScorecard: UpdateScorecardUseCase,
  ) {}

  @Get()
  @ApiRoute({
    summary: "The tenant's health scorecard (the built-in default until one is stored)",
    tags: ['health'],
    responses: { 200: { description: 'The active scorecard', schema: scorecardSchema } },
  })
  get(@CurrentTenant() tenant: TenantContext): Promise<ScorecardDto> {
    return this.getScorecard.execute(tenant);
  }

  @Put()
  @ApiRoute({
    summary: 'Replace the health scorecard',
    description: 'Stores a new version and activates it, and queues a recompute of health (metrics.refresh-requested.v1, reason scorecard_changed).',
    tags: ['health'],
    body: scorecardPutSchema,
    responses: { 200: { description: 'The new active scorecard and the run recomputing health', schema: scorecardUpdateSchema } },
  })
  put(@CurrentTenant() tenant: TenantContext, @Body(new ZodValidationPipe(scorecardPutSchema, 'body')) body: ScorecardDefinition): Promise<ScorecardUpdateDto> {
    return this.updateScorecard.execute(tenant, body);
  }
}
