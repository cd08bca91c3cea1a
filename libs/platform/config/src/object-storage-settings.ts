import { z } from 'zod';

/** Where uploaded files and the files derived from them are kept (@pulse/object-storage). */
export type ObjectStorageSettings =
  | { kind: 'local'; directory: string }
  | { kind: 'gcs'; bucket: string; projectId: string | undefined; apiEndpoint: string | undefined };

export function objectStorageEnvShape() {
  return {
    /** `local` (a folder, the default) or `gcs` (production). */
    PULSE_STORAGE: z.enum(['local', 'gcs'], { error: 'must be local or gcs' }).default('local'),
    /** The folder of the local storage; relative paths are relative to the working directory. */
    PULSE_STORAGE_DIR: z.string().min(1).default('.pulse/storage'),
    /** The bucket of the gcs storage (name only, no gs://). */
    PULSE_STORAGE_BUCKET: z
      .string()
      .regex(/^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/, 'must be a bucket name (lowercase letters, digits, ., _, -)')
      .optional(),
    PULSE_STORAGE_PROJECT_ID: z.string().min(1).optional(),
    /** Another GCS endpoint than Google's (tests, a local fake); requests then carry no credentials. */
    PULSE_STORAGE_GCS_ENDPOINT: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  };
}

type ObjectStorageEnv = z.output<z.ZodObject<ReturnType<typeof objectStorageEnvShape>>>;

/** Refine a config schema with this so `PULSE_STORAGE=gcs` without a bucket fails at boot, by name. */
export function checkObjectStorageEnv(env: ObjectStorageEnv, ctx: z.RefinementCtx): void {
  if (env.PULSE_STORAGE === 'gcs' && !env.PULSE_STORAGE_BUCKET) {
    ctx.addIssue({ code: 'custom', path: ['PULSE_STORAGE_BUCKET'], message: 'is required when PULSE_STORAGE=gcs' });
  }
}

export function toObjectStorageSettings(env: ObjectStorageEnv): ObjectStorageSettings {
  if (env.PULSE_STORAGE === 'gcs') {
    return { kind: 'gcs', bucket: env.PULSE_STORAGE_BUCKET ?? '', projectId: env.PULSE_STORAGE_PROJECT_ID, apiEndpoint: env.PULSE_STORAGE_GCS_ENDPOINT };
  }
  return { kind: 'local', directory: env.PULSE_STORAGE_DIR };
}
