import { Module } from '@nestjs/common';
import { TenancyModule } from '../tenancy/tenancy.module';
import { ImportLoader } from './import-loader';
import { IMPORT_STORAGE, importStorageProvider, importWarehouseProvider } from './ingestion-dependencies';
import { IngestionRequestedHandler } from './ingestion-requested.handler';
import { TenantReactivatedHandler } from './tenant-reactivated.handler';
import { UnfinishedUploadsAtBoot } from './unfinished-uploads-at-boot';

/**
 * Loading imports: the ingestion.requested.v1 and tenant.updated.v1 (reactivation) consumers, the uploads
 * left unfinished run at boot, and the ImportLoader (also used by source syncs).
 */
@Module({
  imports: [TenancyModule],
  controllers: [IngestionRequestedHandler, TenantReactivatedHandler],
  providers: [importStorageProvider, importWarehouseProvider, ImportLoader, UnfinishedUploadsAtBoot],
  // One storage client for the service: source syncs write their batches through the loader's.
  exports: [ImportLoader, IMPORT_STORAGE],
})
export class ImportsModule {}
