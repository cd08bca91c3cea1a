import { DomainError, type ErrorKind } from '@pulse/errors';

/** Stable codes of the tenancy lib's errors (clients and operators branch on them). */
export type TenancyErrorCode =
  | 'invalid_tenant_context'
  | 'tenant_database_busy'
  | 'tenant_database_pool_closed'
  | 'tenant_migrations_unreadable'
  | 'tenant_migration_checksum_mismatch'
  | 'tenant_migration_unknown_applied'
  | 'tenant_migration_failed'
  | 'tenant_migration_lock_timeout'
  | 'tenant_database_unreachable'
  | 'tenant_database_unavailable';

export class TenancyError extends DomainError<TenancyErrorCode> {
  constructor(kind: ErrorKind, code: TenancyErrorCode, message: string, options?: { cause?: unknown }) {
    super(kind, code, message, [], options);
  }
}
