import { z } from 'zod';
import { SourceAddressPolicy } from './source-address-policy';

/**
 * SOURCE_ALLOWED_PRIVATE_NETWORKS as a config field: comma-separated CIDRs, addresses and host names
 * (`10.20.0.0/16,db.internal`) that sources may reach although they are not public. Unset or empty:
 * public addresses only. Validated at boot, so a typo fails the service instead of refusing sources;
 * the entries stay plain text in the config tree (it is logged), for SourceAddressPolicy.allowing.
 */
export function sourceAllowListField() {
  return z
    .string()
    .optional()
    .transform((value, ctx) => {
      const entries = (value ?? '').split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
      try {
        SourceAddressPolicy.allowing(entries);
        return entries;
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
        return z.NEVER;
      }
    });
}
