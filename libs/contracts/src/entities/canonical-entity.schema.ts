import { z } from 'zod';

/** The canonical entities of a tenant's data model (DESIGN.md, "Canonical tenant data model"). */
export const CANONICAL_ENTITIES = [
  'customers',
  'contacts',
  'products',
  'orders',
  'order_items',
  'subscriptions',
  'usage_events',
  'nps_responses',
  'support_tickets',
] as const;

export const canonicalEntitySchema = z.enum(CANONICAL_ENTITIES);
export type CanonicalEntity = z.infer<typeof canonicalEntitySchema>;
