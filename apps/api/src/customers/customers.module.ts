import { Module } from '@nestjs/common';
import { TenancyModule } from '../tenancy/tenancy.module';
import { CustomersController } from './customers.controller';

@Module({ imports: [TenancyModule], controllers: [CustomersController] })
export class CustomersModule {}
