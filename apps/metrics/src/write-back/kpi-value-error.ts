import { DomainError } from '@pulse/errors';

/** Where a KPI value the staging COPY refused was, and why (PostgreSQL's message and detail). */
export interface RefusedKpiValue {
  /** The result table the file is for: customer_kpis, product_kpis or metric_series. */
  kpiTable: string;
  /** The KPI file (a server path or gs:// object): for the log only. */
  location: string;
  /** The data row in the file (the header is not counted; per shard for a sharded export). */
  row: number;
  column: string;
  value: string;
  reason: string;
}

/**
 * A KPI value the write-back could not stage (malformed, or too large for its column). The message
 * names the file for the log; `refused` names the table, row, column and value, which come from the
 * tenant's own data and may be shown to it. `cause` is PostgreSQL's error (its SQLSTATE says whether
 * it was the value at all).
 */
export class KpiValueError extends DomainError<'kpi_value_refused'> {
  constructor(
    readonly refused: RefusedKpiValue,
    cause: unknown,
  ) {
    super(
      'unprocessable',
      'kpi_value_refused',
      `KPI file ${refused.location}, row ${refused.row}, column ${refused.column}, value "${refused.value}": ${refused.reason}`,
      [],
      { cause },
    );
  }
}
