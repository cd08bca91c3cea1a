import { DomainError } from '@pulse/errors';

/**
 * Whole-file problems: the import fails and nothing of it is loaded. Row-level problems never throw;
 * they become RowRejections and the other rows continue.
 */
export type ParseErrorCode =
  | 'unreadable_file'
  | 'unknown_encoding'
  | 'invalid_encoding'
  | 'empty_file'
  | 'malformed_csv'
  | 'truncated_file'
  | 'missing_required_column'
  | 'invalid_mapping'
  | 'unknown_timezone'
  | 'ambiguous_date_format';

export class ParseError extends DomainError<ParseErrorCode> {
  constructor(code: ParseErrorCode, message: string, options?: { cause?: unknown }) {
    super('unprocessable', code, message, [], options);
  }
}
