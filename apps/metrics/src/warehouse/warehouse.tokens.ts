import type { computeKpis } from '@pulse/metric-catalog';

/** The configured Warehouse (@pulse/warehouse; docs/metrics.md, "Warehouse"). */
export const WAREHOUSE = Symbol('WAREHOUSE');
/** The metric catalog's entry point, computeKpis (docs/metrics.md, "How the catalog works"). */
export const KPI_COMPUTER = Symbol('KPI_COMPUTER');

export type KpiComputer = typeof computeKpis;
