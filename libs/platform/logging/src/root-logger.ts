import pino, { type Logger, type LoggerOptions } from 'pino';
import { severityOf } from './severity';

export interface LoggerSettings {
  service: string;
  version: string;
  level: string;
  format: 'json' | 'pretty';
}

/** Header and field names whose values must never be written to logs. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.token',
  '*.secret',
];

export function loggerOptions(settings: LoggerSettings): LoggerOptions {
  return {
    level: settings.level,
    // Cloud Logging takes `message` as the entry text and `severity` as its level.
    messageKey: 'message',
    base: { service: settings.service, version: settings.version },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: {
      level: (label, number) => ({ severity: severityOf(label), level: number }),
    },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  };
}

/**
 * The process-wide logger. JSON lines on stdout in every environment but a developer's terminal,
 * where pino-pretty renders them (pretty output is never used in production: it is slow and unparsable).
 */
export function createRootLogger(settings: LoggerSettings, destination?: pino.DestinationStream): Logger {
  const options = loggerOptions(settings);
  if (settings.format === 'pretty' && !destination) {
    return pino({
      ...options,
      transport: {
        target: 'pino-pretty',
        options: { messageKey: 'message', ignore: 'pid,hostname,service,version,severity', translateTime: 'HH:MM:ss.l' },
      },
    });
  }
  return destination ? pino(options, destination) : pino(options);
}
