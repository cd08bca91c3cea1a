export {
  fieldErrorSchema,
  problemDetailsSchema,
  PROBLEM_JSON_CONTENT_TYPE,
  type FieldError,
  type ProblemDetails,
} from './rest/problem-details.schema';
export { CANONICAL_ENTITIES, canonicalEntitySchema, type CanonicalEntity } from './entities/canonical-entity.schema';
export {
  defineEvent,
  eventAttributesSchema,
  TOPIC_NAME,
  type EventAttributes,
  type EventContract,
  type EventEnvelope,
  type EventPayload,
} from './events/event-contract';
export { tenantProvisionedV1, tenantUpdatedV1, tenantOffboardedV1 } from './events/tenant.events';
export { ingestionRequestedV1, ingestionCompletedV1, ingestionFailedV1 } from './events/ingestion.events';
export { metricsRefreshRequestedV1, metricsComputedV1 } from './events/metrics.events';
export { EVENT_CATALOG, findEventContract, type CatalogTopic } from './events/event-catalog';
export { eventJsonSchema } from './events/json-schema';
export {
  tenantSlugSchema,
  hostnameSchema,
  tenantStatusSchema,
  createTenantRequestSchema,
  tenantSchema,
  apiKeySchema,
  issueApiKeyRequestSchema,
  issuedApiKeySchema,
  createdTenantSchema,
  tenantPageSchema,
  type CreateTenantRequest,
  type TenantDto,
  type ApiKeyDto,
  type IssuedApiKeyDto,
  type IssueApiKeyRequest,
} from './rest/tenant-registry.schemas';
export {
  CANONICAL_ENTITY_SPECS,
  canonicalFieldNames,
  type CanonicalEntitySpec,
  type CanonicalField,
  type CanonicalFieldType,
} from './entities/canonical-fields';
export {
  IMPORT_DATE_FORMATS,
  importDateFormatSchema,
  importDecimalSeparatorSchema,
  importTransformSchema,
  importColumnMappingSchema,
  importMappingSchema,
  importMappingSchemaFor,
  type ImportDateFormat,
  type ImportMapping,
  type ImportColumnMapping,
} from './rest/import-mapping.schema';
export {
  DEFAULT_SCORECARD,
  linearScoringSchema,
  scorecardBandsSchema,
  scorecardDefinitionSchema,
  scorecardMeasureSchema,
  thresholdScoringSchema,
  type ScorecardBands,
  type ScorecardDefinition,
  type ScorecardMeasure,
} from './rest/scorecard.schemas';
