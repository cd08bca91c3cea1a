import type { FieldError } from '@pulse/contracts';
import { ConflictError, DomainError, NotFoundError } from '@pulse/errors';

/** Stable error codes of the tenant registry (documented in docs/tenancy.md). */
export function tenantNotFound(slug: string) {
  return new NotFoundError('tenant.not_found', `No tenant with slug "${slug}".`);
}

export function apiKeyNotFound(id: string) {
  return new NotFoundError('api_key.not_found', `No API key ${id} for this tenant.`);
}

export function slugTaken(slug: string) {
  return new ConflictError('tenant.slug_taken', `A tenant with slug "${slug}" already exists (slugs are never reused).`);
}

export function hostnameTaken(hostname: string) {
  return new ConflictError('tenant.hostname_taken', `The hostname "${hostname}" already belongs to another tenant.`);
}

export function hostnameInBaseDomain(baseDomain: string, fieldErrors: readonly FieldError[]) {
  return new DomainError(
    'unprocessable',
    'tenant.hostname_reserved',
    `Hostnames inside the base domain ${baseDomain} are the tenants' own <slug>.${baseDomain} hosts; a custom hostname must lie outside it.`,
    fieldErrors,
  );
}

export function invalidTransition(slug: string, from: string, action: string) {
  return new ConflictError('tenant.invalid_transition', `Tenant "${slug}" is ${from}; it cannot be ${action}.`);
}

export const PROVISIONING_FAILED = 'tenant.provisioning_failed';

export function provisioningFailed(slug: string, reason: string, cause: unknown) {
  return new DomainError('unavailable', PROVISIONING_FAILED, `Provisioning of tenant "${slug}" failed: ${reason}. Retry with POST /v1/tenants/${slug}/provision.`, [], { cause });
}

/** POST /v1/tenants whose provisioning failed: the first API key comes with success only, so it says how to get one. */
export function provisioningFailedBeforeFirstKey(slug: string, failure: DomainError) {
  return new DomainError(
    'unavailable',
    failure.code,
    `${failure.message} No API key was issued: once it is provisioned, issue its first with POST /v1/tenants/${slug}/api-keys.`,
    [],
    { cause: failure },
  );
}

/**
 * A step of offboarding after the tenant was marked offboarded failed (dropping its database, erasing its
 * files): the tenant stays an offboarded tombstone and DELETE again finishes the erasure.
 */
export function offboardingWaiting(slug: string, waitedMs: number) {
  return new DomainError(
    'unavailable',
    'tenant.offboarding_waiting',
    `Tenant "${slug}" is suspended for offboarding, but imports, source syncs or metrics runs of it were still at work after ${Math.round(waitedMs / 1000)} s; nothing was exported or erased. Retry DELETE /v1/tenants/${slug} shortly.`,
  );
}

export function offboardingIncomplete(slug: string, step: string, reason: string, cause: unknown) {
  return new DomainError(
    'unavailable',
    'tenant.offboarding_incomplete',
    `Tenant "${slug}" is offboarded but its erasure is incomplete: ${step} failed: ${reason}. Retry with DELETE /v1/tenants/${slug}.`,
    [],
    { cause },
  );
}
