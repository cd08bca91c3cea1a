import type { CellValue, ColumnSpec } from './tenant-model';

export type DatagenLocale = 'en' | 'pt-BR';
export type DatagenFormat = 'csv' | 'ndjson';

/** Brazil has had no daylight saving time since 2019: São Paulo wall-clock time is always UTC-3 in our range. */
const SAO_PAULO_OFFSET_MS = -3 * 3_600_000;

const pad2 = (value: number): string => (value < 10 ? `0${value}` : `${value}`);

function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** `123456` cents -> `1234.56` (en) or `1.234,56` (pt-BR, thousands grouped as a Brazilian Excel export shows). */
function money(cents: number, locale: DatagenLocale): string {
  const negative = cents < 0;
  const abs = Math.abs(cents);
  const units = Math.floor(abs / 100);
  const fraction = pad2(abs % 100);
  const sign = negative ? '-' : '';
  if (locale === 'en') return `${sign}${units}.${fraction}`;
  return `${sign}${units.toString().replace(/\B(?=(\d{3})+(?!\d))/g, '.')},${fraction}`;
}

/**
 * Formats one cell as text for a CSV file. `en` writes the canonical forms (ISO dates, UTC instants with
 * `Z`, `.` decimals); `pt-BR` writes what a Brazilian export looks like: `dd/mm/yyyy`, instants as
 * São Paulo wall-clock time without an offset (import them with timezone `America/Sao_Paulo`),
 * `1.234,56`, `sim`/`não`.
 */
export function csvCellFormatter(column: ColumnSpec, locale: DatagenLocale): (value: CellValue) => string {
  const br = locale === 'pt-BR';
  switch (column.kind) {
    case 'text':
      return (value) => (value === null ? '' : (value as string));
    case 'integer':
      return (value) => (value === null ? '' : String(value));
    case 'money':
      return (value) => (value === null ? '' : money(value as number, locale));
    case 'boolean':
      return (value) => (value === null ? '' : value ? (br ? 'sim' : 'true') : br ? 'não' : 'false');
    case 'list':
      return (value) => (value === null ? '' : (value as readonly string[]).join('|'));
    case 'json':
      return (value) => (value === null ? '' : JSON.stringify(value));
    case 'date':
      return br
        ? (value) => {
            if (value === null) return '';
            const iso = isoDate(value as number);
            return `${iso.slice(8, 10)}/${iso.slice(5, 7)}/${iso.slice(0, 4)}`;
          }
        : (value) => (value === null ? '' : isoDate(value as number));
    case 'timestamp':
      return br
        ? (value) => {
            if (value === null) return '';
            const iso = new Date((value as number) + SAO_PAULO_OFFSET_MS).toISOString();
            return `${iso.slice(8, 10)}/${iso.slice(5, 7)}/${iso.slice(0, 4)} ${iso.slice(11, 19)}`;
          }
        : (value) => (value === null ? '' : `${new Date(value as number).toISOString().slice(0, 19)}Z`);
  }
}

/** Converts one cell to its JSON value for NDJSON (locale-independent: JSON has its own number syntax). */
export function jsonCellConverter(column: ColumnSpec): (value: CellValue) => unknown {
  switch (column.kind) {
    case 'money':
      return (value) => (value === null ? null : (value as number) / 100);
    case 'date':
      return (value) => (value === null ? null : isoDate(value as number));
    case 'timestamp':
      return (value) => (value === null ? null : `${new Date(value as number).toISOString().slice(0, 19)}Z`);
    case 'list':
      return (value) => (value === null || (value as readonly string[]).length === 0 ? null : value);
    default:
      return (value) => value;
  }
}
