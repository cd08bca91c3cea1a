import { Inject, Injectable } from '@nestjs/common';
import { tenantUpdatedV1, type UpdateTenantRequest } from '@pulse/contracts';
import { isDeepStrictEqual } from 'node:util';
import { TENANT_REGISTRY_CONFIG, type TenantRegistryConfig } from '../config/tenant-registry.config';
import { ControlPlaneClient } from '../database/control-plane-client';
import type { Prisma } from '../generated/prisma/client';
import type { Actor } from '../shared/actor';
import { audit, enqueue } from '../shared/control-plane-writes';
import { hostnameTaken, invalidTransition, tenantNotFound } from '../shared/registry-errors';
import { applyMergePatch, type JsonObject } from './json-merge-patch';
import { customHostnamesOrThrow } from './tenant-hostnames';
import { checkTenantSettingsOrThrow } from './tenant-settings.schema';

/**
 * Changes a tenant's plan, custom hostnames (the list is replaced; none inside the base domain) or settings (merge-patched: a null
 * removes a key; the result must pass tenantSettingsSchema), and announces it with tenant.updated.v1 so
 * services drop cached resolutions.
 * Offboarded tenants are tombstones and refuse changes. A patch that changes nothing writes nothing.
 */
@Injectable()
export class UpdateTenantUseCase {
  constructor(
    private readonly db: ControlPlaneClient,
    @Inject(TENANT_REGISTRY_CONFIG) private readonly config: TenantRegistryConfig,
  ) {}

  async execute(slug: string, patch: UpdateTenantRequest, actor: Actor): Promise<void> {
    const hostnames = patch.hostnames ? customHostnamesOrThrow(patch.hostnames, { slug, baseDomain: this.config.tenantDatabases.baseDomain }) : undefined;
    try {
      await this.db.$transaction(async (tx) => {
        // Row lock: two operators changing one tenant at once apply one after the other.
        const [locked] = await tx.$queryRaw<Array<{ id: string }>>`SELECT id FROM tenants WHERE slug = ${slug} FOR UPDATE`;
        const tenant = locked ? await tx.tenant.findUnique({ where: { id: locked.id } }) : null;
        if (!tenant) throw tenantNotFound(slug);
        if (tenant.status === 'offboarded') throw invalidTransition(slug, tenant.status, 'updated');

        const current = (tenant.settings ?? {}) as JsonObject;
        const next = {
          plan: patch.plan ?? tenant.plan,
          hostnames: hostnames ?? tenant.hostnames,
          settings: patch.settings ? applyMergePatch(current, patch.settings) : current,
        };
        // The merged result is what services will read, so it is what is checked; a patch without settings
        // leaves them as they are and is not refused over a value stored before settings were checked.
        if (patch.settings) checkTenantSettingsOrThrow(next.settings);
        const changed = [
          ...(next.plan !== tenant.plan ? ['plan'] : []),
          ...(!isDeepStrictEqual(next.hostnames, tenant.hostnames) ? ['hostnames'] : []),
          ...(!isDeepStrictEqual(next.settings, current) ? ['settings'] : []),
        ];
        if (changed.length === 0) return; // nothing to change: repeating a patch is harmless

        // Checked first for a clear answer; the hostname primary key still decides under concurrency.
        const claimed = await tx.tenantHostname.findFirst({ where: { hostname: { in: next.hostnames }, tenantId: { not: tenant.id } } });
        if (claimed) throw hostnameTaken(claimed.hostname);

        await tx.tenant.update({
          where: { id: tenant.id },
          data: { plan: next.plan, hostnames: next.hostnames, settings: next.settings as Prisma.InputJsonValue },
        });
        if (changed.includes('hostnames')) {
          await tx.tenantHostname.deleteMany({ where: { tenantId: tenant.id, hostname: { notIn: next.hostnames } } });
          const kept = new Set((await tx.tenantHostname.findMany({ where: { tenantId: tenant.id } })).map((claim) => claim.hostname));
          const added = next.hostnames.filter((hostname) => !kept.has(hostname));
          await tx.tenantHostname.createMany({ data: added.map((hostname) => ({ hostname, tenantId: tenant.id })) });
        }
        await audit(tx, actor, 'tenant.update', slug, { changed, ...patch });
        await enqueue(tx, tenantUpdatedV1, { slug, status: tenant.status, plan: next.plan, hostnames: next.hostnames, changed }, tenant.id, actor);
      });
    } catch (error) {
      if ((error as { code?: string }).code === 'P2002') throw hostnameTaken((hostnames ?? []).join(', '));
      throw error;
    }
  }
}
