import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, StreamableFile } from '@nestjs/common';
import {
  createdTenantSchema,
  createTenantRequestSchema,
  tenantPageSchema,
  tenantSchema,
  tenantSlugSchema,
  tenantStatusSchema,
  updateTenantRequestSchema,
  type CreateTenantRequest,
  type TenantDto,
  type UpdateTenantRequest,
} from '@pulse/contracts';
import { SecretBox } from '@pulse/crypto';
import { tenantDatabaseUrl } from '@pulse/tenancy';
import { ApiRoute, queryInteger, ZodValidationPipe } from '@pulse/service-runtime';
import { PassThrough } from 'node:stream';
import { z } from 'zod';
import { ControlPlaneClient } from '../database/control-plane-client';
import { writeTenantExport } from '../export/tenant-export';
import { ProvisionTenantUseCase } from '../provisioning/provision-tenant.use-case';
import type { Actor } from '../shared/actor';
import { invalidTransition, tenantNotFound } from '../shared/registry-errors';
import { RequestActor } from '../shared/request-actor';
import { ChangeTenantStatusUseCase, type StatusAction } from './change-tenant-status.use-case';
import { CreateTenantUseCase } from './create-tenant.use-case';
import { OffboardTenantUseCase } from './offboard-tenant.use-case';
import { TenantQueries } from './tenant-queries';
import { tenantSettingsSchema } from './tenant-settings.schema';
import { UpdateTenantUseCase } from './update-tenant.use-case';

const slugParams = z.strictObject({ slug: tenantSlugSchema });
const listQuery = z.strictObject({
  limit: queryInteger(z.number().int().min(1).max(200).default(50)),
  cursor: z.string().min(1).optional(),
  status: tenantStatusSchema.optional(),
});
const statusBody = z.strictObject({ reason: z.string().trim().min(1).max(500).optional() }).optional();
// The contract's body with the settings other services read checked as they read them (a PATCH's settings
// are a merge patch: its result is checked by the use case).
const createTenantBody = createTenantRequestSchema.extend({ settings: tenantSettingsSchema.optional() });

const tags = ['tenants'];

/** Operator API for tenants: translates HTTP to use cases, nothing more. */
@Controller('v1/tenants')
export class TenantsController {
  constructor(
    private readonly createTenant: CreateTenantUseCase,
    private readonly provisionTenant: ProvisionTenantUseCase,
    private readonly changeStatus: ChangeTenantStatusUseCase,
    private readonly offboardTenant: OffboardTenantUseCase,
    private readonly updateTenant: UpdateTenantUseCase,
    private readonly queries: TenantQueries,
    private readonly db: ControlPlaneClient,
    private readonly box: SecretBox,
  ) {}

  @Post()
  @HttpCode(201)
  @ApiRoute({
    summary: 'Create a tenant: its own database and role, the tenant schema, and a first API key (shown once)',
    tags,
    body: createTenantBody,
    responses: {
      201: { description: 'Provisioned (status onboarding), with the API key', schema: createdTenantSchema },
      400: { description: 'validation_failed, field by field (a bad setting names it: body.settings.timezone)' },
      409: { description: 'tenant.slug_taken or tenant.hostname_taken' },
      422: { description: 'tenant.hostname_reserved: a hostname inside the base domain (named in errors: body.hostnames.<i>)' },
      503: { description: 'tenant.provisioning_failed: the tenant stays provisioning_failed with the reason; retry with /provision' },
    },
  })
  async create(@Body(new ZodValidationPipe(createTenantBody, 'body')) body: CreateTenantRequest, @RequestActor() actor: Actor) {
    const { slug, apiKey } = await this.createTenant.execute(body, actor);
    return { tenant: await this.queries.findBySlugOrThrow(slug), apiKey };
  }

  @Get()
  @ApiRoute({ summary: 'List tenants, by slug, with cursor pagination', tags, query: listQuery, responses: { 200: { description: 'A page', schema: tenantPageSchema } } })
  list(@Query(new ZodValidationPipe(listQuery, 'query')) query: z.output<typeof listQuery>) {
    return this.queries.list(query);
  }

  @Get(':slug')
  @ApiRoute({ summary: 'Get a tenant', tags, params: slugParams, responses: { 200: { description: 'The tenant', schema: tenantSchema }, 404: { description: 'tenant.not_found' } } })
  get(@Param(new ZodValidationPipe(slugParams, 'path')) { slug }: z.output<typeof slugParams>): Promise<TenantDto> {
    return this.queries.findBySlugOrThrow(slug);
  }

  @Patch(':slug')
  @ApiRoute({
    summary:
      'Change a tenant (JSON merge patch): plan, hostnames (replaces the list), settings (merged key by key; null removes a key; ' +
      'the merged settings are validated as on creation)',
    tags,
    params: slugParams,
    body: updateTenantRequestSchema,
    responses: {
      200: { description: 'The updated tenant', schema: tenantSchema },
      400: { description: 'validation_failed, for the body or for a setting of the merged result (body.settings.<name>)' },
      404: { description: 'tenant.not_found' },
      409: { description: 'tenant.hostname_taken, or tenant.invalid_transition for an offboarded tenant' },
      422: { description: 'tenant.hostname_reserved: a hostname inside the base domain (named in errors: body.hostnames.<i>)' },
    },
  })
  async update(
    @Param(new ZodValidationPipe(slugParams, 'path')) { slug }: z.output<typeof slugParams>,
    @Body(new ZodValidationPipe(updateTenantRequestSchema, 'body')) body: UpdateTenantRequest,
    @RequestActor() actor: Actor,
  ): Promise<TenantDto> {
    await this.updateTenant.execute(slug, body, actor);
    return this.queries.findBySlugOrThrow(slug);
  }

  @Post(':slug/provision')
  @HttpCode(200)
  @ApiRoute({
    summary: 'Finish provisioning a tenant that failed or was interrupted (idempotent)',
    tags,
    params: slugParams,
    responses: { 200: { description: 'Provisioned', schema: tenantSchema }, 503: { description: 'tenant.provisioning_failed' } },
  })
  async provision(@Param(new ZodValidationPipe(slugParams, 'path')) { slug }: z.output<typeof slugParams>, @RequestActor() actor: Actor) {
    await this.provisionTenant.execute(slug, actor);
    return this.queries.findBySlugOrThrow(slug);
  }

  @Post(':slug/activate')
  @HttpCode(200)
  @ApiRoute(statusDoc('Activate an onboarding tenant (moves it to production)'))
  activate(@Param(new ZodValidationPipe(slugParams, 'path')) p: z.output<typeof slugParams>, @Body(new ZodValidationPipe(statusBody, 'body')) b: z.output<typeof statusBody>, @RequestActor() actor: Actor) {
    return this.transition(p.slug, 'activate', actor, b?.reason);
  }

  @Post(':slug/suspend')
  @HttpCode(200)
  @ApiRoute(statusDoc('Suspend a tenant: its API keys are refused until it is reactivated'))
  suspend(@Param(new ZodValidationPipe(slugParams, 'path')) p: z.output<typeof slugParams>, @Body(new ZodValidationPipe(statusBody, 'body')) b: z.output<typeof statusBody>, @RequestActor() actor: Actor) {
    return this.transition(p.slug, 'suspend', actor, b?.reason);
  }

  @Post(':slug/reactivate')
  @HttpCode(200)
  @ApiRoute(statusDoc('Reactivate a suspended tenant'))
  reactivate(@Param(new ZodValidationPipe(slugParams, 'path')) p: z.output<typeof slugParams>, @Body(new ZodValidationPipe(statusBody, 'body')) b: z.output<typeof statusBody>, @RequestActor() actor: Actor) {
    return this.transition(p.slug, 'reactivate', actor, b?.reason);
  }

  @Delete(':slug')
  @ApiRoute({
    summary:
      'Offboard a tenant: export its data, then erase it: drop its database and role, delete its files in object storage ' +
      '(the tenant row stays as a tombstone). Calling again finishes an interrupted erasure',
    tags,
    params: slugParams,
    responses: {
      200: { description: 'Offboarded and erased, with exportUri', schema: tenantSchema },
      404: { description: 'tenant.not_found' },
      503: {
        description:
          'tenant.offboarding_waiting: suspended, but imports, syncs or metrics runs of it were still at work after OFFBOARDING_WAIT_MS (nothing exported or erased); ' +
          'tenant.offboarding_incomplete: offboarded, but dropping the database or erasing the files failed. Either way, call DELETE again',
      },
    },
  })
  async offboard(@Param(new ZodValidationPipe(slugParams, 'path')) { slug }: z.output<typeof slugParams>, @RequestActor() actor: Actor) {
    await this.offboardTenant.execute(slug, actor);
    return this.queries.findBySlugOrThrow(slug);
  }

  @Get(':slug/export')
  @ApiRoute({
    summary: "Download the tenant's data: a zip with one NDJSON file per table and a manifest",
    tags,
    params: slugParams,
    responses: { 200: { description: 'The archive', contentType: 'application/zip', schema: z.string() }, 409: { description: 'tenant.invalid_transition: no database' } },
  })
  async export(@Param(new ZodValidationPipe(slugParams, 'path')) { slug }: z.output<typeof slugParams>): Promise<StreamableFile> {
    const tenant = await this.db.tenant.findUnique({ where: { slug }, include: { database: true } });
    if (!tenant) throw tenantNotFound(slug);
    if (!tenant.database || tenant.database.droppedAt || tenant.status === 'provisioning' || tenant.status === 'provisioning_failed') {
      throw invalidTransition(slug, tenant.status, 'exported');
    }
    const body = new PassThrough();
    // Headers are sent before the first byte; a failure after that can only cut the download short.
    writeTenantExport(tenantDatabaseUrl(tenant.database, this.box), body, { slug }).catch((error: unknown) => body.destroy(error as Error));
    return new StreamableFile(body, { type: 'application/zip', disposition: `attachment; filename="${slug}-export.zip"` });
  }

  private async transition(slug: string, action: StatusAction, actor: Actor, reason?: string) {
    await this.changeStatus.execute(slug, action, actor, reason);
    return this.queries.findBySlugOrThrow(slug);
  }
}

function statusDoc(summary: string) {
  return {
    summary,
    tags,
    params: slugParams,
    responses: { 200: { description: 'The tenant', schema: tenantSchema }, 409: { description: 'tenant.invalid_transition' } },
  };
}
