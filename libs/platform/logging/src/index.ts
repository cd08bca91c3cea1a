export { createRootLogger, loggerOptions, REDACTED_PATHS, type LoggerSettings } from './root-logger';
export { correlationIdFrom, CORRELATION_ID_HEADER } from './correlation-id';
export { severityOf } from './severity';
export type { Logger } from 'pino';
