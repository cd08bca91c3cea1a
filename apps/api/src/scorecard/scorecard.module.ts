import { Module } from '@nestjs/common';
import { MetricRunsModule } from '../metrics/runs/metric-runs.module';
import { TenancyModule } from '../tenancy/tenancy.module';
import { GetScorecardUseCase } from './get-scorecard.use-case';
import { ScorecardController } from './scorecard.controller';
import { UpdateScorecardUseCase } from './update-scorecard.use-case';

@Module({ imports: [TenancyModule, MetricRunsModule], controllers: [ScorecardController], providers: [GetScorecardUseCase, UpdateScorecardUseCase] })
export class ScorecardModule {}
