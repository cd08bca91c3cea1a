export { Secret, secretUrl } from './secret';
export { port, positiveInt, postgresUrl, secretString, encryptionKey, nodeEnv, logLevel, logFormat, baseDomain, booleanFlag } from './env-fields';
export { serviceEnvShape, toServiceSettings, type ServiceSettings } from './service-settings';
export { loadConfig, describeConfig, ConfigValidationError, type Environment } from './load-config';
export { messagingEnvShape, toMessagingSettings, type MessagingSettings } from './messaging-settings';
export { objectStorageEnvShape, checkObjectStorageEnv, toObjectStorageSettings, type ObjectStorageSettings } from './object-storage-settings';
export { warehouseEnvShape, toWarehouseSettings, type WarehouseSettings } from './warehouse-settings';
