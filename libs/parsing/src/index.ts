export { parseImportStream } from './parse-import-stream';
export { DEFAULT_BATCH_SIZE } from './batch-builder';
export { ParseError, type ParseErrorCode } from './parse-error';
export type { CanonicalRow, JsonValue, ParsedBatch, ParseOptions, RejectionReason, RowRejection } from './parse-types';
export { normalizeHeader } from './header-names';
export { detectDelimiter, type CsvDelimiter } from './delimiter-detection';
export { detectEncoding, type FileEncoding } from './text-decoding';
export { INDEXED_TEXT_MAX_BYTES, indexedTextFields } from './indexed-text';
export { PARSING_CORPUS, parsingCorpusPath, readParsingCorpusFile, type ParsingCorpusFile } from './testing/corpus';
