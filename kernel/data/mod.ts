/**
 * Public surface of the data layer (the CLI and the runtime import from here).
 * See repository.ts (layout, write order, locking), index.ts (query index design) and
 * query.ts (query/search semantics).
 */
export { DataErrorCode } from "./errors.js";
export {
  dataNameProblem,
  validateDataName,
  isReservedDataName,
  normalizeModelType,
  modelTypePath,
  modelIdProblem,
  validateModelId,
} from "./names.js";
export {
  parseDuration,
  parseSinceDuration,
  normalizeLifetime,
  validateLifetime,
  validateGcPolicy,
  lifetimeProblem,
  gcPolicyProblem,
  expiryReason,
} from "./lifetime.js";
export type { Lifetime, GarbageCollectionPolicy, ExpiryReason, WorkflowRunExists, ExpiryOptions } from "./lifetime.js";
export { resolveTags, validateTags, parseTag } from "./tags.js";
export type { TagLayers } from "./tags.js";
export { composeVaryName, encodeVaryValue } from "./vary.js";
export { serializeMetadata, parseMetadata, isDeleted, isRenamed } from "./metadata.js";
export type { DataMetadata, OwnerDefinition, OwnerType } from "./metadata.js";
export { DataIndex, ModelFold, JOURNAL_FILE, REGISTRY_FILE, CACHE_DIR, METADATA_FILE, RAW_FILE, LATEST_FILE } from "./index.js";
export type { ModelRef, ModelSnapshot, LoadAllOptions } from "./index.js";
export { DataRepository, MAX_RENAME_HOPS, readLatestPointer, renameWarning, handleFor } from "./repository.js";
export type { DataRepositoryOptions, WriteSpec, VersionSummary, RenameResult, DeleteResult, DataLogger } from "./repository.js";
export { FileDataWriter, hashFile } from "./writer.js";
export { toDataRecord, interpretContent, loadContent, isJsonContentType, isTextContentType } from "./record.js";
export type { DataRecord, LoadedContent } from "./record.js";
export { queryData, searchData, compileQueryExpression, rootIdentifiers, searchFilterEcho, toJsonSafe, QUERY_FIELDS } from "./query.js";
export type { DataSource, QueryOptions, QueryOutcome, SearchFilters, SearchOutcome, SearchResultItem } from "./query.js";
export { dataGetJson, dataVersionsJson, dataListJson, dataQueryJson, queryRecordJson, dataRenameJson } from "./json.js";
export type { ModelIdentity, ListItemJson } from "./json.js";
