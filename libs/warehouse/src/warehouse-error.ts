import { DomainError } from '@pulse/errors';

export type WarehouseErrorCode =
  /** A staged file could not be loaded (wrong columns, a value of the wrong type); nothing of it was applied. */
  | 'warehouse_load_failed'
  /** A statement failed in the warehouse (SQL error, bytes-billed guard, ...). */
  | 'warehouse_query_failed'
  /** The call itself is wrong (unknown URI scheme, bad tenant id, ...). */
  | 'warehouse_invalid_request'
  /** The tenant's warehouse is held by another process (DuckDB allows one writer per file). */
  | 'warehouse_busy';

const KIND: Record<WarehouseErrorCode, 'unprocessable' | 'internal' | 'invalid_input' | 'unavailable'> = {
  warehouse_load_failed: 'unprocessable',
  warehouse_query_failed: 'internal',
  warehouse_invalid_request: 'invalid_input',
  warehouse_busy: 'unavailable',
};

/** The staged load a `warehouse_load_failed` is about: names a caller may show the tenant (its own import). */
export interface FailedLoad {
  readonly entity: string;
  readonly importId: string;
}

export class WarehouseError extends DomainError<WarehouseErrorCode> {
  readonly load?: FailedLoad;

  constructor(code: WarehouseErrorCode, message: string, options?: { cause?: unknown; load?: FailedLoad }) {
    super(KIND[code], code, message, [], options?.cause === undefined ? undefined : { cause: options.cause });
    if (options?.load) this.load = options.load;
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
