/** Cloud Logging reads `severity` from JSON log lines; pino's numeric levels mean nothing to it. */
const SEVERITY_BY_LEVEL: Record<string, string> = {
  trace: 'DEBUG',
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARNING',
  error: 'ERROR',
  fatal: 'CRITICAL',
};

export function severityOf(level: string): string {
  return SEVERITY_BY_LEVEL[level] ?? 'DEFAULT';
}
