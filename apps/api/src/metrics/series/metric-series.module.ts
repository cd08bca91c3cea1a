import { Module } from '@nestjs/common';
import { TenancyModule } from '../../tenancy/tenancy.module';
import { MetricSeriesController } from './metric-series.controller';

@Module({ imports: [TenancyModule], controllers: [MetricSeriesController] })
export class MetricSeriesModule {}
