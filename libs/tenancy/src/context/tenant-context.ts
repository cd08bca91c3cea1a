import { TenancyError } from '../tenancy-errors';

declare const tenantContextBrand: unique symbol;

/**
 * Who a unit of work acts for. Every command, event and request carries one, and tenant databases are
 * reachable only through it (TenantDatabasePool): code without a TenantContext cannot get a tenant
 * connection, so an untenanted query does not compile. Immutable; made only by createTenantContext,
 * which validates it (the brand keeps object literals out).
 */
export interface TenantContext {
  /** The tenant's id in the control plane (the key of its database pool). */
  readonly tenantId: string;
  readonly slug: string;
  /** Travels from HTTP header to Pub/Sub attributes to logs. */
  readonly correlationId?: string;
  readonly [tenantContextBrand]: true;
}

export interface TenantContextInput {
  tenantId: string;
  slug: string;
  correlationId?: string;
}

/** Tenant ids are control-plane ids (UUIDs today): letters, digits, `-` and `_`, at most 64. */
export const TENANT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
/** Slugs: 3-40 lowercase letters, digits and `-`, starting with a letter, not ending with `-`. */
export const TENANT_SLUG_PATTERN = /^[a-z][a-z0-9-]{1,38}[a-z0-9]$/;
const CORRELATION_ID_MAX_LENGTH = 128;

function invalid(message: string): TenancyError {
  return new TenancyError('invalid_input', 'invalid_tenant_context', `Invalid tenant context: ${message}`);
}

/** Validates and freezes a tenant context; throws TenancyError `invalid_tenant_context` otherwise. */
export function createTenantContext(input: TenantContextInput): TenantContext {
  const { tenantId, slug, correlationId } = input;
  if (typeof tenantId !== 'string' || !TENANT_ID_PATTERN.test(tenantId)) {
    throw invalid(`tenantId ${JSON.stringify(tenantId)} must match ${TENANT_ID_PATTERN}`);
  }
  if (typeof slug !== 'string' || !TENANT_SLUG_PATTERN.test(slug)) {
    throw invalid(`slug ${JSON.stringify(slug)} must match ${TENANT_SLUG_PATTERN}`);
  }
  if (
    correlationId !== undefined &&
    (typeof correlationId !== 'string' || correlationId.length === 0 || correlationId.length > CORRELATION_ID_MAX_LENGTH)
  ) {
    throw invalid(`correlationId must be 1-${CORRELATION_ID_MAX_LENGTH} characters`);
  }
  const context = correlationId === undefined ? { tenantId, slug } : { tenantId, slug, correlationId };
  return Object.freeze(context) as TenantContext;
}

/** The same tenant, acting for another correlation id (e.g. a consumer handling a new message). */
export function withCorrelationId(context: TenantContext, correlationId: string): TenantContext {
  return createTenantContext({ tenantId: context.tenantId, slug: context.slug, correlationId });
}

/**
 * The fields that tie a log line to the tenant and the request or message it was written for, for
 * lines written where no request's logger is at hand (e.g. after the response, when an event publish
 * fails).
 */
export function tenantLogFields(context: TenantContext): { tenantId: string; correlationId?: string } {
  return context.correlationId === undefined ? { tenantId: context.tenantId } : { tenantId: context.tenantId, correlationId: context.correlationId };
}
