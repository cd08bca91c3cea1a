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

export class WarehouseError extends DomainError<WarehouseErrorCode> {
  constructor(code: WarehouseErrorCode, message: string, options?: { cause?: unknown }) {
    super(KIND[code], code, message, [], options);
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
