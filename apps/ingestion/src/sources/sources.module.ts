import { Module } from '@nestjs/common';
import { INGESTION_CONFIG, type IngestionConfig } from '../config/ingestion.config';
import { ImportsModule } from '../imports/imports.module';
import { TenancyModule } from '../tenancy/tenancy.module';
import { defaultSchedulerSettings, SOURCE_SCHEDULER_SETTINGS, SourceScheduler } from './source-scheduler';
import { SourceSyncRunner } from './source-sync-runner';

/** Source syncs (issue 8): the per-source cron scheduler and the runner feeding the import loader. */
@Module({
  // ImportsModule also gives the storage (IMPORT_STORAGE) the loader reads: sync batches are written where it looks.
  imports: [TenancyModule, ImportsModule],
  providers: [
    { provide: SOURCE_SCHEDULER_SETTINGS, inject: [INGESTION_CONFIG], useFactory: (config: IngestionConfig) => defaultSchedulerSettings(config) },
    SourceSyncRunner,
    SourceScheduler,
  ],
  exports: [SourceScheduler, SourceSyncRunner],
})
export class SourcesModule {}
