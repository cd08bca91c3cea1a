import { Module } from '@nestjs/common';
import { TenancyModule } from '../tenancy/tenancy.module';
import { ImportLoader } from './import-loader';
import { importStorageProvider, importWarehouseProvider } from './ingestion-dependencies';
import { IngestionRequestedHandler } from './ingestion-requested.handler';

/** Loading imports: the ingestion.requested.v1 consumer and the ImportLoader (also used by source syncs). */
@Module({
  imports: [TenancyModule],
  controllers: [IngestionRequestedHandler],
  providers: [importStorageProvider, importWarehouseProvider, ImportLoader],
  exports: [ImportLoader],
})
export class ImportsModule {}
