import type { NormalisedType } from '../connector';
import { ConnectorError } from '../connector-errors';

export type SqlDialectName = 'postgres' | 'mysql' | 'mssql' | 'oracle';

/** What the query builder needs to know about an ordering column. */
export interface TypedColumn {
  name: string;
  type: NormalisedType;
  /** The database's own type name (Oracle DATE and TIMESTAMP both normalise to `timestamp`, but format differently). */
  sourceType: string;
}

/**
 * The differences between SQL dialects that matter for keyset reads. Values always travel as bind
 * parameters; only identifiers (quoted here) and validated integers are ever written into the SQL text.
 */
export interface SqlDialect {
  readonly name: SqlDialectName;
  /** Whether `(a, b) > (x, y)` is supported; otherwise the builder expands it. */
  readonly rowValueComparison: boolean;
  quoteIdentifier(name: string): string;
  /** The 1-based n-th bind placeholder. */
  placeholder(index: number): string;
  /**
   * An expression giving the column's value as exact text when the driver cannot return it exactly
   * (SQL Server and Oracle drivers hand out JavaScript Dates and numbers); null when the driver is
   * configured to return exact text itself.
   */
  exactText(quotedColumn: string, column: TypedColumn): string | null;
  /** How a bound state value is turned back into the column's type for the comparison. */
  bind(placeholder: string, column: TypedColumn): string;
  limit(rows: number): string;
}

function quoteWith(open: string, close: string, name: string): string {
  if (name.length === 0 || name.includes('\u0000')) {
    throw new ConnectorError('invalid_source_config', `Invalid identifier ${JSON.stringify(name)}`);
  }
  return open + name.split(close).join(close + close) + close;
}

export const postgresDialect: SqlDialect = {
  name: 'postgres',
  rowValueComparison: true,
  quoteIdentifier: (name) => quoteWith('"', '"', name),
  placeholder: (index) => `$${index}`,
  // The pg driver is configured to return numerics, bigints and timestamps as the server's text.
  exactText: () => null,
  bind: (placeholder) => placeholder,
  limit: (rows) => `LIMIT ${rows}`,
};

export const mysqlDialect: SqlDialect = {
  name: 'mysql',
  rowValueComparison: true,
  quoteIdentifier: (name) => quoteWith('`', '`', name),
  placeholder: () => '?',
  // mysql2 runs with dateStrings and bigNumberStrings: values arrive as the server's text. TIMESTAMP
  // records are marked UTC ('...Z') for the loader, a form MySQL does not parse back: its cursor is
  // read as the server's own text instead (the session time zone is UTC).
  exactText: (quoted, column) => (column.type === 'timestamptz' ? `DATE_FORMAT(${quoted}, '%Y-%m-%d %H:%i:%s.%f')` : null),
  bind: (placeholder) => placeholder,
  limit: (rows) => `LIMIT ${rows}`,
};

export const mssqlDialect: SqlDialect = {
  name: 'mssql',
  rowValueComparison: false,
  quoteIdentifier: (name) => quoteWith('[', ']', name),
  placeholder: (index) => `@p${index}`,
  exactText(quoted, column) {
    switch (column.type) {
      case 'timestamp':
        return `CONVERT(varchar(27), ${quoted}, 126)`;
      case 'timestamptz':
        return `CONVERT(varchar(34), ${quoted}, 127)`;
      case 'date':
        return `CONVERT(varchar(10), ${quoted}, 23)`;
      case 'decimal':
      case 'integer':
        return `CONVERT(varchar(50), ${quoted})`;
      default:
        return null;
    }
  },
  bind(placeholder, column) {
    switch (column.type) {
      case 'timestamp':
        return `CONVERT(datetime2, ${placeholder}, 126)`;
      case 'timestamptz':
        return `CONVERT(datetimeoffset, ${placeholder}, 127)`;
      case 'date':
        return `CONVERT(date, ${placeholder}, 23)`;
      default:
        return placeholder;
    }
  },
  limit: (rows) => `OFFSET 0 ROWS FETCH NEXT ${rows} ROWS ONLY`,
};

const ORACLE_DATE_FORMAT = `'YYYY-MM-DD"T"HH24:MI:SS'`;
const ORACLE_TIMESTAMP_FORMAT = `'YYYY-MM-DD"T"HH24:MI:SS.FF9'`;
const ORACLE_TIMESTAMP_TZ_FORMAT = `'YYYY-MM-DD"T"HH24:MI:SS.FF9TZH:TZM'`;
const ORACLE_NUMERIC = `'NLS_NUMERIC_CHARACTERS=''.,'''`;

/** Oracle's DATE carries a time of day but no fractional seconds, so it needs its own format. */
function isOracleDate(column: TypedColumn): boolean {
  return column.sourceType.toUpperCase() === 'DATE';
}

export const oracleDialect: SqlDialect = {
  name: 'oracle',
  rowValueComparison: false,
  quoteIdentifier: (name) => quoteWith('"', '"', name),
  placeholder: (index) => `:${index}`,
  exactText(quoted, column) {
    switch (column.type) {
      case 'timestamp':
        return `TO_CHAR(${quoted}, ${isOracleDate(column) ? ORACLE_DATE_FORMAT : ORACLE_TIMESTAMP_FORMAT})`;
      case 'timestamptz':
        return `TO_CHAR(${quoted}, ${ORACLE_TIMESTAMP_TZ_FORMAT})`;
      case 'date':
        return `TO_CHAR(${quoted}, ${ORACLE_DATE_FORMAT})`;
      case 'decimal':
      case 'integer':
        return `TO_CHAR(${quoted}, 'TM9', ${ORACLE_NUMERIC})`;
      default:
        return null;
    }
  },
  bind(placeholder, column) {
    switch (column.type) {
      case 'timestamp':
        return isOracleDate(column)
          ? `TO_DATE(${placeholder}, ${ORACLE_DATE_FORMAT})`
          : `TO_TIMESTAMP(${placeholder}, ${ORACLE_TIMESTAMP_FORMAT})`;
      case 'timestamptz':
        return `TO_TIMESTAMP_TZ(${placeholder}, ${ORACLE_TIMESTAMP_TZ_FORMAT})`;
      case 'date':
        return `TO_DATE(${placeholder}, ${ORACLE_DATE_FORMAT})`;
      case 'decimal':
      case 'integer':
        // The driver sets NLS_NUMERIC_CHARACTERS = '.,' on every session, so '.' is the decimal point here.
        return `TO_NUMBER(${placeholder})`;
      default:
        return placeholder;
    }
  },
  limit: (rows) => `OFFSET 0 ROWS FETCH NEXT ${rows} ROWS ONLY`,
};

export const SQL_DIALECTS: Record<SqlDialectName, SqlDialect> = {
  postgres: postgresDialect,
  mysql: mysqlDialect,
  mssql: mssqlDialect,
  oracle: oracleDialect,
};
