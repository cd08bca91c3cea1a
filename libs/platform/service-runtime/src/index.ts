export { runService, createServiceApp, type ServiceDefinition } from './run-service';
export { HealthModule } from './health/health.module';
export { ReadinessRegistry, type ReadinessProbe } from './health/readiness-registry';
export { PostgresModule, POSTGRES_POOL, type PostgresOptions } from './postgres/postgres.module';
export { ProblemDetailsFilter, problemFor } from './http/problem-details.filter';
export { ROOT_LOGGER } from './logging/logging.module';
