import { Module } from '@nestjs/common';
import { IdempotencyStore } from '../http/idempotency/idempotency-store';
import { TenancyModule } from '../tenancy/tenancy.module';
import { importStorageProvider } from './import-storage';
import { ImportsController } from './imports.controller';
import { uploadContentTypesProvider } from './upload-content-type';
import { UploadImportUseCase } from './upload-import.use-case';

/** File imports: uploads streamed to object storage, then followed by status and rejected rows. */
@Module({
  imports: [TenancyModule],
  controllers: [ImportsController],
  providers: [uploadContentTypesProvider, importStorageProvider, IdempotencyStore, UploadImportUseCase],
})
export class ImportsModule {}
