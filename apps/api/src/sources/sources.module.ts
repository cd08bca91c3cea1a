import { Module } from '@nestjs/common';
import { TenancyModule } from '../tenancy/tenancy.module';
import { CreateSourceUseCase } from './create-source.use-case';
import { RequestSyncUseCase } from './request-sync.use-case';
import { SourceQueries } from './source-queries';
import { SourcesController } from './sources.controller';
import { TestSourceUseCase } from './test-source.use-case';
import { UpdateSourceUseCase } from './update-source.use-case';

/** Sources (issue 8): configuration, connectivity test, "run now" and sync history; syncs run in ingestion. */
@Module({
  imports: [TenancyModule],
  controllers: [SourcesController],
  providers: [SourceQueries, CreateSourceUseCase, UpdateSourceUseCase, TestSourceUseCase, RequestSyncUseCase],
})
export class SourcesModule {}
