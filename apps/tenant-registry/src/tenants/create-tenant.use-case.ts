import { Inject, Injectable } from '@nestjs/common';
import type { CreateTenantRequest } from '@pulse/contracts';
import { SecretBox } from '@pulse/crypto';
import { DomainError } from '@pulse/errors';
import { randomBytes } from 'node:crypto';
import { ApiKeyUseCases } from '../api-keys/api-key.use-cases';
import { TENANT_REGISTRY_CONFIG, type TenantRegistryConfig } from '../config/tenant-registry.config';
import { ControlPlaneClient } from '../database/control-plane-client';
import type { Prisma } from '../generated/prisma/client';
import { ProvisionTenantUseCase } from '../provisioning/provision-tenant.use-case';
import { tenantDatabaseNames } from '../provisioning/tenant-database-names';
import type { Actor } from '../shared/actor';
import { audit, recordTransition } from '../shared/control-plane-writes';
import { hostnameTaken, PROVISIONING_FAILED, provisioningFailedBeforeFirstKey, slugTaken } from '../shared/registry-errors';
import { customHostnamesOrThrow } from './tenant-hostnames';

/**
 * Registers a tenant (with its database reference and a generated password, encrypted), provisions it,
 * and issues its first API key. Provisioning failures leave the tenant visible as provisioning_failed.
 */
@Injectable()
export class CreateTenantUseCase {
  constructor(
    private readonly db: ControlPlaneClient,
    private readonly box: SecretBox,
    private readonly provision: ProvisionTenantUseCase,
    private readonly apiKeys: ApiKeyUseCases,
    @Inject(TENANT_REGISTRY_CONFIG) private readonly config: TenantRegistryConfig,
  ) {}

  async execute(request: CreateTenantRequest, actor: Actor) {
    await this.register(request, actor);
    try {
      await this.provision.execute(request.slug, actor);
    } catch (error) {
      if (error instanceof DomainError && error.code === PROVISIONING_FAILED) throw provisioningFailedBeforeFirstKey(request.slug, error);
      throw error;
    }
    const apiKey = await this.apiKeys.issue(request.slug, { name: 'default', scopes: ['read', 'write'] }, actor);
    return { slug: request.slug, apiKey };
  }

  private async register(request: CreateTenantRequest, actor: Actor): Promise<void> {
    const hostnames = customHostnamesOrThrow(request.hostnames ?? [], { slug: request.slug, baseDomain: this.config.tenantDatabases.baseDomain });
    // Checked first for a clear answer; the unique constraints still decide under concurrency.
    if (await this.db.tenant.findUnique({ where: { slug: request.slug } })) throw slugTaken(request.slug);
    const claimed = await this.db.tenantHostname.findFirst({ where: { hostname: { in: hostnames } } });
    if (claimed) throw hostnameTaken(claimed.hostname);

    const admin = new URL(this.config.tenantDatabases.adminUrl.reveal());
    const { databaseName, roleName } = tenantDatabaseNames(request.slug);
    try {
      await this.db.$transaction(async (tx) => {
        const tenant = await tx.tenant.create({
          data: {
            slug: request.slug,
            name: request.name,
            plan: request.plan ?? 'standard',
            hostnames,
            settings: (request.settings ?? {}) as Prisma.InputJsonValue,
            status: 'provisioning',
            hostnameClaims: { create: hostnames.map((hostname) => ({ hostname })) },
            database: {
              create: {
                host: this.config.tenantDatabases.host ?? admin.hostname,
                port: this.config.tenantDatabases.port ?? Number(admin.port || 5432),
                databaseName,
                roleName,
                passwordEncrypted: this.box.encrypt(randomBytes(24).toString('base64url')),
              },
            },
          },
        });
        await recordTransition(tx, tenant.id, null, 'provisioning', actor, 'created');
        await audit(tx, actor, 'tenant.create', request.slug, { name: request.name, plan: tenant.plan, hostnames });
      });
    } catch (error) {
      if ((error as { code?: string }).code === 'P2002') {
        const target = JSON.stringify((error as { meta?: unknown }).meta ?? '');
        throw target.includes('hostname') ? hostnameTaken(hostnames.join(', ')) : slugTaken(request.slug);
      }
      throw error;
    }
  }
}
