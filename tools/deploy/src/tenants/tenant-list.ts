import { readFileSync } from 'node:fs';
import { z } from 'zod';

/**
 * What tools/deploy needs of a tenant, as the tenant registry's operator API returns it
 * (`GET /v1/tenants` -> `{ items, nextCursor }`). Other fields are ignored, so the API may grow.
 */
export const registryTenantSchema = z.looseObject({
  slug: z.string(),
  status: z.string(),
  hostnames: z.array(z.string()).default([]),
  settings: z.looseObject({ dedicated: z.boolean().optional() }).default({}),
});

export type RegistryTenant = z.output<typeof registryTenantSchema>;

const tenantPageSchema = z.object({
  items: z.array(registryTenantSchema),
  nextCursor: z.string().nullish(),
});

/** A `--tenants-file`: either a bare array of tenants or one page of the API (`{ items }`). */
const tenantsFileSchema = z.union([z.array(registryTenantSchema), tenantPageSchema.transform((page) => page.items)]);

export function readTenantsFile(file: string): RegistryTenant[] {
  const result = tenantsFileSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!result.success) throw new Error(`${file}: not a tenant list: ${z.prettifyError(result.error)}`);
  return result.data;
}

export interface RegistryClientOptions {
  baseUrl: string;
  operatorToken: string;
  fetchImpl?: typeof fetch;
  pageSize?: number;
}

/** Every tenant of the registry, following nextCursor to the end. */
export async function fetchRegistryTenants(options: RegistryClientOptions): Promise<RegistryTenant[]> {
  const fetchImpl = options.fetchImpl ?? fetch;
  const tenants: RegistryTenant[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 10_000; page += 1) {
    const url = new URL('/v1/tenants', options.baseUrl);
    url.searchParams.set('limit', String(options.pageSize ?? 100));
    if (cursor) url.searchParams.set('cursor', cursor);
    const response = await fetchImpl(url, {
      headers: { authorization: `Bearer ${options.operatorToken}`, accept: 'application/json' },
      signal: AbortSignal.timeout(15_000),
    });
    if (!response.ok) {
      throw new Error(`GET ${url.pathname} answered ${response.status}: ${(await response.text()).slice(0, 500)}`);
    }
    const parsed = tenantPageSchema.safeParse(await response.json());
    if (!parsed.success) throw new Error(`GET ${url.pathname}: unexpected body: ${z.prettifyError(parsed.error)}`);
    tenants.push(...parsed.data.items);
    if (!parsed.data.nextCursor) return tenants;
    cursor = parsed.data.nextCursor;
  }
  throw new Error('the tenant registry kept returning pages; stopped after 10000');
}
