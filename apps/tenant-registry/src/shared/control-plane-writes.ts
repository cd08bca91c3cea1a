import type { EventContract, EventPayload } from '@pulse/contracts';
import { enqueueEvent } from '@pulse/messaging';
import type { Prisma, TenantStatus } from '../generated/prisma/client';
import type { Actor } from './actor';

type Tx = Prisma.TransactionClient;

/** An event in the control plane's outbox, in the caller's transaction (published by the relay). */
export function enqueue<Contract extends EventContract>(
  tx: Tx,
  contract: Contract,
  payload: EventPayload<Contract>,
  tenantId: string,
  actor: Actor,
): Promise<string> {
  return enqueueEvent((sql, values) => tx.$executeRawUnsafe(sql, ...values), contract, payload, {
    tenantId,
    correlationId: actor.correlationId,
  });
}

export function audit(tx: Tx, actor: Actor, action: string, tenantSlug: string | null, details: Record<string, unknown> = {}) {
  return tx.auditLog.create({
    data: { actor: actor.name, action, tenantSlug, details: details as Prisma.InputJsonValue, correlationId: actor.correlationId },
  });
}

export function recordTransition(tx: Tx, tenantId: string, from: TenantStatus | null, to: TenantStatus, actor: Actor, reason?: string) {
  return tx.lifecycleEvent.create({ data: { tenantId, fromStatus: from, toStatus: to, actor: actor.name, reason } });
}
