import { Injectable } from '@nestjs/common';
import { tenantUpdatedV1, type ApiKeyDto, type IssueApiKeyRequest, type IssuedApiKeyDto } from '@pulse/contracts';
import { issueApiKey } from '@pulse/tenancy';
import { ControlPlaneClient } from '../database/control-plane-client';
import type { Actor } from '../shared/actor';
import { audit, enqueue } from '../shared/control-plane-writes';
import { apiKeyNotFound, invalidTransition, tenantNotFound } from '../shared/registry-errors';
import { toApiKeyDto } from '../tenants/tenant-view';

/** Issue, list and revoke a tenant's API keys. The secret exists only in the answer to `issue`. */
@Injectable()
export class ApiKeyUseCases {
  constructor(private readonly db: ControlPlaneClient) {}

  async issue(slug: string, request: IssueApiKeyRequest, actor: Actor): Promise<IssuedApiKeyDto> {
    const tenant = await this.db.tenant.findUnique({ where: { slug } });
    if (!tenant) throw tenantNotFound(slug);
    if (tenant.status === 'offboarded') throw invalidTransition(slug, tenant.status, 'given API keys');

    const issued = issueApiKey();
    const key = await this.db.$transaction(async (tx) => {
      const created = await tx.apiKey.create({
        data: { tenantId: tenant.id, prefix: issued.prefix, secretHash: issued.secretHash, name: request.name, scopes: request.scopes },
      });
      await audit(tx, actor, 'api_key.issue', slug, { keyId: created.id, name: request.name, scopes: request.scopes });
      return created;
    });
    return { ...toApiKeyDto(key), key: issued.token };
  }

  async list(slug: string): Promise<ApiKeyDto[]> {
    const tenant = await this.db.tenant.findUnique({ where: { slug }, include: { apiKeys: { orderBy: { createdAt: 'asc' } } } });
    if (!tenant) throw tenantNotFound(slug);
    return tenant.apiKeys.map(toApiKeyDto);
  }

  /** Revokes at once in the control plane, and tells every service to drop cached resolutions. */
  async revoke(slug: string, keyId: string, actor: Actor): Promise<ApiKeyDto> {
    const tenant = await this.db.tenant.findUnique({ where: { slug } });
    if (!tenant) throw tenantNotFound(slug);
    const key = await this.db.apiKey.findFirst({ where: { id: keyId, tenantId: tenant.id } });
    if (!key) throw apiKeyNotFound(keyId);
    if (key.revokedAt) return toApiKeyDto(key);

    const revoked = await this.db.$transaction(async (tx) => {
      const updated = await tx.apiKey.update({ where: { id: key.id }, data: { revokedAt: new Date() } });
      await audit(tx, actor, 'api_key.revoke', slug, { keyId });
      await enqueue(
        tx,
        tenantUpdatedV1,
        { slug, status: tenant.status, plan: tenant.plan, hostnames: tenant.hostnames, changed: ['apiKeys'] },
        tenant.id,
        actor,
      );
      return updated;
    });
    return toApiKeyDto(revoked);
  }
}
