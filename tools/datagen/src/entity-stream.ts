import iconv from 'iconv-lite';
import { Readable } from 'node:stream';
import { csvCellFormatter, jsonCellConverter, type DatagenFormat, type DatagenLocale } from './cell-format';
import type { CellValue, EntityModel } from './tenant-model';

export type DatagenEncoding = 'utf-8' | 'latin1';
export type DatagenHeaders = 'canonical' | 'source';

export interface EntityStreamFormat {
  readonly format: DatagenFormat;
  readonly locale: DatagenLocale;
  readonly encoding: DatagenEncoding;
  readonly headers: DatagenHeaders;
}

/** Bytes pushed per chunk: large enough to amortise stream overhead, small enough to keep memory flat. */
const CHUNK_CHARS = 256 * 1024;

/** RFC 4180 quoting, only where needed (a delimiter, quote or line break in the text). */
function csvQuoter(delimiter: string): (text: string) => string {
  const special = new RegExp(`[${delimiter === '\t' ? '\\t' : `\\${delimiter}`}"\\r\\n]`);
  return (text) => (special.test(text) ? `"${text.replace(/"/g, '""')}"` : text);
}

function rowSerializer(model: EntityModel, format: EntityStreamFormat): { header: string; serialize: (row: readonly CellValue[]) => string } {
  const names = model.columns.map((column) => (format.headers === 'source' ? column.sourceName : column.name));
  if (format.format === 'ndjson') {
    const converters = model.columns.map(jsonCellConverter);
    return {
      header: '',
      serialize: (row) => {
        const record: Record<string, unknown> = {};
        for (let i = 0; i < names.length; i += 1) record[names[i] as string] = (converters[i] as (v: CellValue) => unknown)(row[i] as CellValue);
        return `${JSON.stringify(record)}\n`;
      },
    };
  }
  const delimiter = format.locale === 'pt-BR' ? ';' : ',';
  const quote = csvQuoter(delimiter);
  const formatters = model.columns.map((column) => {
    const formatCell = csvCellFormatter(column, format.locale);
    // Only free text can hold delimiters or quotes; numbers and dates are written without them.
    return column.kind === 'text' || column.kind === 'list' || column.kind === 'json'
      ? (value: CellValue) => quote(formatCell(value))
      : formatCell;
  });
  return {
    header: `${names.map(quote).join(delimiter)}\n`,
    serialize: (row) => {
      let line = (formatters[0] as (v: CellValue) => string)(row[0] as CellValue);
      for (let i = 1; i < formatters.length; i += 1) line += delimiter + (formatters[i] as (v: CellValue) => string)(row[i] as CellValue);
      return `${line}\n`;
    },
  };
}

/**
 * The file of one entity as a byte stream, generated lazily as the consumer reads (backpressure keeps
 * memory flat whatever the size).
 */
export function entityFileStream(model: EntityModel, format: EntityStreamFormat): Readable {
  const { header, serialize } = rowSerializer(model, format);
  const encode = format.encoding === 'latin1' ? (text: string) => iconv.encode(text, 'win1252') : (text: string) => Buffer.from(text, 'utf8');
  let unit = 0;
  let pending = header;
  const emit = (row: readonly CellValue[]): void => {
    pending += serialize(row);
  };
  return new Readable({
    read() {
      while (unit < model.units && pending.length < CHUNK_CHARS) {
        model.produce(unit, emit);
        unit += 1;
      }
      if (pending.length > 0) {
        const chunk = pending;
        pending = '';
        this.push(encode(chunk));
      }
      if (unit >= model.units && pending.length === 0) this.push(null);
    },
  });
}
