import { z } from 'zod';
import { booleanFlag, positiveInt } from './env-fields';

/** How a service reaches Google Pub/Sub and how hard it retries. */
export interface MessagingSettings {
  projectId: string;
  /** host:port of a Pub/Sub emulator; absent in production, where the client uses Google's endpoint. */
  emulatorHost: string | undefined;
  /** Create missing topics and subscriptions (development, tests); production expects infrastructure to own them. */
  autoCreate: boolean;
  /** A message that failed this many deliveries goes to its subscription's dead-letter topic. */
  maxDeliveryAttempts: number;
  /** Flow control: messages handled at once per subscription. */
  maxInFlight: number;
  ackDeadlineSeconds: number;
  /** Redelivery backoff after a nack (the subscription's retry policy). */
  minBackoffSeconds: number;
  maxBackoffSeconds: number;
  /** How often events left unpublished in tenant outboxes are looked for (TenantOutboxSweeper). */
  outboxSweepIntervalMs: number;
}

export function messagingEnvShape() {
  return {
    PUBSUB_PROJECT_ID: z.string().min(1).default('pulse-local'),
    PUBSUB_EMULATOR_HOST: z
      .string()
      .regex(/^[^:\s]+:\d+$/, 'must be host:port')
      .optional(),
    PUBSUB_AUTO_CREATE: booleanFlag,
    PUBSUB_MAX_DELIVERY_ATTEMPTS: positiveInt(5).refine((n) => n >= 5 && n <= 100, 'must be between 5 and 100 (Pub/Sub limits)'),
    PUBSUB_MAX_IN_FLIGHT: positiveInt(10),
    PUBSUB_ACK_DEADLINE_SECONDS: positiveInt(60),
    PUBSUB_MIN_BACKOFF_SECONDS: z.coerce
      .number({ error: 'must be a number' })
      .int('must be a whole number')
      .min(0, 'must be between 0 and 600')
      .max(600, 'must be between 0 and 600')
      .default(10),
    PUBSUB_MAX_BACKOFF_SECONDS: positiveInt(600).refine((n) => n <= 600, 'must be at most 600'),
    OUTBOX_SWEEP_INTERVAL_MS: positiveInt(15_000),
  };
}

type MessagingEnv = z.output<z.ZodObject<ReturnType<typeof messagingEnvShape>>>;

export function toMessagingSettings(env: MessagingEnv & { NODE_ENV: string }): MessagingSettings {
  return {
    projectId: env.PUBSUB_PROJECT_ID,
    emulatorHost: env.PUBSUB_EMULATOR_HOST,
    autoCreate: env.PUBSUB_AUTO_CREATE ?? env.NODE_ENV !== 'production',
    maxDeliveryAttempts: env.PUBSUB_MAX_DELIVERY_ATTEMPTS,
    maxInFlight: env.PUBSUB_MAX_IN_FLIGHT,
    ackDeadlineSeconds: env.PUBSUB_ACK_DEADLINE_SECONDS,
    minBackoffSeconds: env.PUBSUB_MIN_BACKOFF_SECONDS,
    maxBackoffSeconds: env.PUBSUB_MAX_BACKOFF_SECONDS,
    outboxSweepIntervalMs: env.OUTBOX_SWEEP_INTERVAL_MS,
  };
}
