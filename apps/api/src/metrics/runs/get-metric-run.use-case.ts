import { Injectable } from '@nestjs/common';
import { NotFoundError } from '@pulse/errors';
import { TenantDatabasePool, type TenantContext } from '@pulse/tenancy';
import { METRIC_RUN_COLUMNS, toMetricRunDto, type MetricRunRow } from './metric-run-row';
import type { MetricRunDto } from './metric-run.schemas';

@Injectable()
export class GetMetricRunUseCase {
  constructor(private readonly tenants: TenantDatabasePool) {}

  async execute(tenant: TenantContext, id: string): Promise<MetricRunDto> {
    const { rows } = await this.tenants.query<MetricRunRow>(tenant, `SELECT ${METRIC_RUN_COLUMNS} FROM metric_runs WHERE id = $1`, [id]);
    const row = rows[0];
    if (!row) throw new NotFoundError('metric_run.not_found', `No metrics run with id "${id}".`);
    return toMetricRunDto(row);
  }
}
