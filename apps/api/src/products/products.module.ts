import { Module } from '@nestjs/common';
import { TenancyModule } from '../tenancy/tenancy.module';
import { ProductsController } from './products.controller';

@Module({ imports: [TenancyModule], controllers: [ProductsController] })
export class ProductsModule {}
