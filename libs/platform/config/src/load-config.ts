import type { z } from 'zod';

export type Environment = Readonly<Record<string, string | undefined>>;

/** Thrown at boot when the environment does not satisfy a service's schema; names every bad variable. */
export class ConfigValidationError extends Error {
  constructor(
    readonly serviceName: string,
    readonly problems: ReadonlyArray<{ variable: string; message: string }>,
  ) {
    super(
      `Invalid environment for ${serviceName}:\n` +
        problems.map((p) => `  - ${p.variable}: ${p.message}`).join('\n'),
    );
    this.name = 'ConfigValidationError';
  }
}

/**
 * Validates the flat environment against a service's schema and returns its typed, structured config.
 * This is the only place in the code base that reads process.env.
 */
export function loadConfig<Schema extends z.ZodType>(
  serviceName: string,
  schema: Schema,
  environment: Environment = process.env,
): z.output<Schema> {
  // Empty strings count as unset, the way shells and Kubernetes ConfigMaps usually mean them.
  const present = Object.fromEntries(
    Object.entries(environment).filter(([, value]) => value !== undefined && value !== ''),
  );
  const result = schema.safeParse(present);
  if (result.success) return result.data;

  const problems = result.error.issues.map((issue) => {
    const variable = issue.path.length > 0 ? issue.path.map(String).join('.') : '(environment)';
    const missing = issue.path.length === 1 && present[String(issue.path[0])] === undefined;
    return { variable, message: missing ? 'is required' : issue.message };
  });
  throw new ConfigValidationError(serviceName, problems);
}

/** The config as it may be logged: secrets appear in their redacted form only. */
export function describeConfig(config: unknown): Record<string, unknown> {
  return JSON.parse(JSON.stringify(config)) as Record<string, unknown>;
}
