import { Module } from '@nestjs/common';
import { TenancyModule } from '../tenancy/tenancy.module';
import { HealthDistributionController } from './health-distribution.controller';

@Module({ imports: [TenancyModule], controllers: [HealthDistributionController] })
export class HealthDistributionModule {}
