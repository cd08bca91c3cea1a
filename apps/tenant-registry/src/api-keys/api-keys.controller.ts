import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { apiKeySchema, issuedApiKeySchema, issueApiKeyRequestSchema, tenantSlugSchema, type IssueApiKeyRequest } from '@pulse/contracts';
import { ApiRoute, ZodValidationPipe } from '@pulse/service-runtime';
import { z } from 'zod';
import type { Actor } from '../shared/actor';
import { RequestActor } from '../shared/request-actor';
import { ApiKeyUseCases } from './api-key.use-cases';

const slugParams = z.strictObject({ slug: tenantSlugSchema });
const keyParams = z.strictObject({ slug: tenantSlugSchema, keyId: z.uuid() });
const tags = ['api-keys'];

@Controller('v1/tenants/:slug/api-keys')
export class ApiKeysController {
  constructor(private readonly apiKeys: ApiKeyUseCases) {}

  @Post()
  @HttpCode(201)
  @ApiRoute({
    summary: 'Issue an API key; its secret is in this answer only',
    tags,
    params: slugParams,
    body: issueApiKeyRequestSchema,
    responses: { 201: { description: 'The key, with its secret', schema: issuedApiKeySchema } },
  })
  issue(
    @Param(new ZodValidationPipe(slugParams, 'path')) { slug }: z.output<typeof slugParams>,
    @Body(new ZodValidationPipe(issueApiKeyRequestSchema, 'body')) body: IssueApiKeyRequest,
    @RequestActor() actor: Actor,
  ) {
    return this.apiKeys.issue(slug, body, actor);
  }

  @Get()
  @ApiRoute({ summary: "List a tenant's API keys (never their secrets)", tags, params: slugParams, responses: { 200: { description: 'The keys', schema: z.object({ items: z.array(apiKeySchema) }) } } })
  async list(@Param(new ZodValidationPipe(slugParams, 'path')) { slug }: z.output<typeof slugParams>) {
    return { items: await this.apiKeys.list(slug) };
  }

  @Delete(':keyId')
  @ApiRoute({ summary: 'Revoke an API key, at once', tags, params: keyParams, responses: { 200: { description: 'The revoked key', schema: apiKeySchema } } })
  revoke(@Param(new ZodValidationPipe(keyParams, 'path')) { slug, keyId }: z.output<typeof keyParams>, @RequestActor() actor: Actor) {
    return this.apiKeys.revoke(slug, keyId, actor);
  }
}
