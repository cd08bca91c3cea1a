import type { computeKpis } from '@pulse/metric-catalog';

/** The configured Warehouse (INTERFACES.md section 3). */
export const WAREHOUSE = Symbol('WAREHOUSE');
/** The metric catalog's entry point (INTERFACES.md section 4). */
export const KPI_COMPUTER = Symbol('KPI_COMPUTER');

export type KpiComputer = typeof computeKpis;
