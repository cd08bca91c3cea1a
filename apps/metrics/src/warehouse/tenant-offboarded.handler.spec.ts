import type { EventEnvelope, EventPayload, tenantOffboardedV1 } from '@pulse/contracts';
import type { Warehouse, WarehouseTenant } from '@pulse/warehouse';
import type { PinoLogger } from 'nestjs-pino';
import type { TenantDirectory } from '../tenancy/tenant-directory';
import { TenantOffboardedHandler } from './tenant-offboarded.handler';

const TENANT_ID = '11111111-2222-4333-8444-555555555555';

function handlerWith(offboarded: { tenantId: string; slug: string } | undefined) {
  const dropped: WarehouseTenant[] = [];
  const warehouse = { dropTenant: async (tenant: WarehouseTenant) => void dropped.push(tenant) } as unknown as Warehouse;
  const directory = { findOffboardedTenant: async (tenantId: string) => (offboarded?.tenantId === tenantId ? offboarded : undefined) } as unknown as TenantDirectory;
  const logger = { info: () => undefined, warn: () => undefined, error: () => undefined } as unknown as PinoLogger;
  return { handler: new TenantOffboardedHandler(warehouse, directory, logger), dropped };
}

const event = (slug: string) =>
  ({ tenantId: TENANT_ID, payload: { slug, exportUri: 'gs://exports/x.zip', offboardedAt: '2026-11-29T10:00:00Z' } }) as unknown as EventEnvelope<EventPayload<typeof tenantOffboardedV1>>;

describe('TenantOffboardedHandler', () => {
  it("drops the warehouse copy under the control plane's slug, whatever slug the event gives", async () => {
    const { handler, dropped } = handlerWith({ tenantId: TENANT_ID, slug: 'acme' });
    await handler.onTenantOffboarded(event('someone-else'));
    expect(dropped).toEqual([{ tenantId: TENANT_ID, slug: 'acme' }]);
  });

  it('drops nothing for a tenant the control plane does not show offboarded', async () => {
    const { handler, dropped } = handlerWith(undefined);
    await handler.onTenantOffboarded(event('acme'));
    expect(dropped).toEqual([]);
  });
});
