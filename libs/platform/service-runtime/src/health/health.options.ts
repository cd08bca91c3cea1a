export const HEALTH_OPTIONS = Symbol('HEALTH_OPTIONS');

export interface HealthOptions {
  /** A dependency slower than this counts as down: a probe must answer quickly even when the DB hangs. */
  probeTimeoutMs: number;
}
