import { readFileSync } from 'node:fs';
import { z } from 'zod';

/** deploy/k8s/components/gcp-settings/settings.env: the project settings shared by kustomize and tools/deploy. */
export const gcpSettingsSchema = z
  .object({
    PROJECT_ID: z.string().regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, 'must be a Google Cloud project id'),
    PROJECT_NUMBER: z.string().regex(/^\d+$/, 'must be the numeric project number'),
    REGION: z.string().min(1),
    GSA_DOMAIN: z.string().min(1),
    WORKLOAD_POOL: z.string().min(1),
    SQL_INSTANCE: z.string().min(1),
    SQL_INSTANCE_CONNECTION_NAME: z.string().min(1),
    UPLOADS_BUCKET: z.string().min(3),
    EXPORTS_BUCKET: z.string().min(3),
    WAREHOUSE_STAGING_BUCKET: z.string().regex(/^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/, 'must be a bucket name'),
    WAREHOUSE_STAGING_URI: z.string().min(1),
    BASE_DOMAIN: z.string().regex(/^([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$/, 'must be a lower-case DNS name'),
  })
  .superRefine((s, ctx) => {
    // kustomize cannot concatenate, so the derived values are spelled out; they must agree.
    const derived: Array<[keyof typeof s, string]> = [
      ['GSA_DOMAIN', `${s.PROJECT_ID}.iam.gserviceaccount.com`],
      ['WORKLOAD_POOL', `${s.PROJECT_ID}.svc.id.goog`],
      ['SQL_INSTANCE_CONNECTION_NAME', `${s.PROJECT_ID}:${s.REGION}:${s.SQL_INSTANCE}`],
      ['WAREHOUSE_STAGING_URI', `gs://${s.WAREHOUSE_STAGING_BUCKET}`],
    ];
    for (const [key, expected] of derived) {
      if (s[key] !== expected) ctx.addIssue({ code: 'custom', path: [key], message: `must be ${expected} (derived from the other settings)` });
    }
  });

export type GcpSettings = z.output<typeof gcpSettingsSchema>;

/** KEY=VALUE lines; `#` starts a comment line. */
export function parseEnvFile(text: string): Record<string, string> {
  const entries: Record<string, string> = {};
  for (const [index, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) throw new Error(`line ${index + 1}: expected KEY=VALUE, got "${line}"`);
    entries[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return entries;
}

export function readGcpSettings(file: string): GcpSettings {
  const result = gcpSettingsSchema.safeParse(parseEnvFile(readFileSync(file, 'utf8')));
  if (!result.success) {
    throw new Error(`${file}:\n${result.error.issues.map((i) => `  - ${i.path.join('.')}: ${i.message}`).join('\n')}`);
  }
  return result.data;
}
