import type { EventContract } from './event-contract';
import { ingestionCompletedV1, ingestionFailedV1, ingestionRequestedV1 } from './ingestion.events';
import { metricsComputedV1, metricsRefreshRequestedV1 } from './metrics.events';
import { tenantOffboardedV1, tenantProvisionedV1, tenantUpdatedV1 } from './tenant.events';

/** Every event contract in the system. Infrastructure declares one topic per entry. */
export const EVENT_CATALOG = [
  tenantProvisionedV1,
  tenantUpdatedV1,
  tenantOffboardedV1,
  ingestionRequestedV1,
  ingestionCompletedV1,
  ingestionFailedV1,
  metricsRefreshRequestedV1,
  metricsComputedV1,
] as const satisfies readonly EventContract[];

export type CatalogTopic = (typeof EVENT_CATALOG)[number]['topic'];

const byTopic = new Map<string, EventContract>(EVENT_CATALOG.map((contract) => [contract.topic, contract]));

export function findEventContract(topic: string): EventContract | undefined {
  return byTopic.get(topic);
}
