import type { NormalisedType } from '../connector';
import type { SqlDialectName } from './sql-dialect';

type Rule = [RegExp, NormalisedType];

/** Checked in order; the first match wins. Names are the catalogs' own (information_schema / ALL_TAB_COLUMNS). */
const RULES: Record<SqlDialectName, Rule[]> = {
  postgres: [
    [/^(smallint|integer|bigint|int[248]|smallserial|serial|bigserial)$/, 'integer'],
    [/^(numeric|decimal|money)/, 'decimal'],
    [/^(real|double precision|float[48])$/, 'float'],
    [/^bool(ean)?$/, 'boolean'],
    [/^date$/, 'date'],
    [/^timestamp( without time zone)?$|^timestamp\(\d\)( without time zone)?$/, 'timestamp'],
    [/^timestamp(\(\d\))? with time zone$|^timestamptz$/, 'timestamptz'],
    [/^time/, 'time'],
    [/^(json|jsonb|array)$/, 'json'],
    [/^bytea$/, 'binary'],
    [/^(text|character varying|varchar|character|char|bpchar|name|uuid|citext|inet|cidr|macaddr|interval|user-defined|xml)/, 'text'],
  ],
  mysql: [
    // MySQL's convention: tinyint(1) is a boolean (BOOL is an alias of it).
    [/^tinyint\(1\)/, 'boolean'],
    [/^(bool|boolean)$/, 'boolean'],
    [/^(tinyint|smallint|mediumint|int|integer|bigint|year)\b/, 'integer'],
    [/^(decimal|numeric)\b/, 'decimal'],
    [/^(float|double|real)\b/, 'float'],
    [/^date$/, 'date'],
    [/^datetime\b/, 'timestamp'],
    // TIMESTAMP is stored as UTC; the driver reads it with the session time zone pinned to UTC.
    [/^timestamp\b/, 'timestamptz'],
    [/^time\b/, 'time'],
    [/^json$/, 'json'],
    [/^(bit|binary|varbinary|tinyblob|blob|mediumblob|longblob)\b/, 'binary'],
    [/^(char|varchar|tinytext|text|mediumtext|longtext|enum|set)\b/, 'text'],
  ],
  mssql: [
    [/^(tinyint|smallint|int|bigint)$/, 'integer'],
    [/^bit$/, 'boolean'],
    [/^(decimal|numeric|money|smallmoney)\b/, 'decimal'],
    [/^(float|real)\b/, 'float'],
    [/^date$/, 'date'],
    [/^(datetime|datetime2|smalldatetime)\b/, 'timestamp'],
    [/^datetimeoffset\b/, 'timestamptz'],
    [/^time\b/, 'time'],
    [/^(binary|varbinary|image|timestamp|rowversion)\b/, 'binary'],
    [/^(char|varchar|nchar|nvarchar|text|ntext|uniqueidentifier|xml|sysname)\b/, 'text'],
  ],
  oracle: [
    [/^(binary_float|binary_double|float)\b/, 'float'],
    [/^(number|integer|smallint)\b/, 'decimal'],
    [/^date$/, 'timestamp'],
    [/^timestamp(\(\d\))? with (local )?time zone$/, 'timestamptz'],
    [/^timestamp(\(\d\))?$/, 'timestamp'],
    [/^json$/, 'json'],
    [/^(blob|raw|long raw|bfile)\b/, 'binary'],
    [/^(varchar2|nvarchar2|char|nchar|clob|nclob|long|rowid|urowid)\b/, 'text'],
  ],
};

/**
 * Maps a catalog type name to a normalised type. Oracle's NUMBER is an integer only when declared with
 * scale 0 (NUMBER(p,0)); a bare NUMBER can hold fractions and stays a decimal.
 */
export function normaliseSqlType(dialect: SqlDialectName, sourceType: string, numericScale?: number | null): NormalisedType {
  const name = sourceType.trim().toLowerCase();
  if (dialect === 'oracle' && /^number\b/.test(name) && numericScale === 0) return 'integer';
  if (dialect === 'oracle' && /^(integer|smallint)$/.test(name)) return 'integer';
  for (const [pattern, type] of RULES[dialect]) if (pattern.test(name)) return type;
  return 'unknown';
}
