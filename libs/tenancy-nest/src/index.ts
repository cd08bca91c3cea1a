export { TenantDatabasesModule, type TenantDatabasesOptions } from './tenant-databases.module';
