import { Injectable } from '@nestjs/common';
import { tenantUpdatedV1 } from '@pulse/contracts';
import { ControlPlaneClient } from '../database/control-plane-client';
import type { TenantStatus } from '../generated/prisma/client';
import type { Actor } from '../shared/actor';
import { audit, enqueue, recordTransition } from '../shared/control-plane-writes';
import { invalidTransition, tenantNotFound } from '../shared/registry-errors';

export type StatusAction = 'activate' | 'suspend' | 'reactivate';

/** The lifecycle: onboarding -> active -> suspended -> active ...; offboarding has its own use case. */
const TRANSITIONS: Record<StatusAction, { from: TenantStatus[]; to: TenantStatus; verb: string }> = {
  activate: { from: ['onboarding'], to: 'active', verb: 'activated' },
  suspend: { from: ['onboarding', 'active'], to: 'suspended', verb: 'suspended' },
  reactivate: { from: ['suspended'], to: 'active', verb: 'reactivated' },
};

@Injectable()
export class ChangeTenantStatusUseCase {
  constructor(private readonly db: ControlPlaneClient) {}

  async execute(slug: string, action: StatusAction, actor: Actor, reason?: string): Promise<void> {
    const transition = TRANSITIONS[action];
    await this.db.$transaction(async (tx) => {
      // Row lock: two operators changing one tenant at once apply one after the other.
      const [locked] = await tx.$queryRaw<Array<{ id: string }>>`SELECT id FROM tenants WHERE slug = ${slug} FOR UPDATE`;
      const tenant = locked ? await tx.tenant.findUnique({ where: { id: locked.id } }) : null;
      if (!tenant) throw tenantNotFound(slug);
      if (tenant.status === transition.to) return; // already there: repeating the call is harmless
      if (!transition.from.includes(tenant.status)) throw invalidTransition(slug, tenant.status, transition.verb);

      await tx.tenant.update({ where: { id: tenant.id }, data: { status: transition.to } });
      await recordTransition(tx, tenant.id, tenant.status, transition.to, actor, reason);
      await audit(tx, actor, `tenant.${action}`, slug, reason ? { reason } : {});
      await enqueue(
        tx,
        tenantUpdatedV1,
        { slug, status: transition.to, plan: tenant.plan, hostnames: tenant.hostnames, changed: ['status'] },
        tenant.id,
        actor,
      );
    });
  }
}
