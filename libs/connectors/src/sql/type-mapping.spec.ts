import { normaliseSqlType } from './type-mapping';

describe('normaliseSqlType', () => {
  it.each([
    ['postgres', 'bigint', 'integer'], ['postgres', 'numeric', 'decimal'], ['postgres', 'double precision', 'float'],
    ['postgres', 'timestamp without time zone', 'timestamp'], ['postgres', 'timestamp with time zone', 'timestamptz'],
    ['postgres', 'timestamptz', 'timestamptz'], ['postgres', 'jsonb', 'json'], ['postgres', 'array', 'json'],
    ['postgres', 'uuid', 'text'], ['postgres', 'USER-DEFINED', 'text'], ['postgres', 'bytea', 'binary'], ['postgres', 'int4', 'integer'],
    ['mysql', 'tinyint(1)', 'boolean'], ['mysql', 'tinyint(4)', 'integer'], ['mysql', 'bigint(20) unsigned', 'integer'],
    ['mysql', 'decimal(12,4)', 'decimal'], ['mysql', 'datetime(6)', 'timestamp'], ['mysql', 'timestamp(6)', 'timestamptz'],
    ['mysql', 'varchar(100)', 'text'], ['mysql', 'enum(\'a\',\'b\')', 'text'], ['mysql', 'longblob', 'binary'], ['mysql', 'json', 'json'],
    ['mssql', 'int', 'integer'], ['mssql', 'bit', 'boolean'], ['mssql', 'money', 'decimal'], ['mssql', 'datetime2', 'timestamp'],
    ['mssql', 'datetimeoffset', 'timestamptz'], ['mssql', 'uniqueidentifier', 'text'], ['mssql', 'nvarchar', 'text'],
    ['mssql', 'timestamp', 'binary'], ['mssql', 'float', 'float'],
    ['oracle', 'DATE', 'timestamp'], ['oracle', 'TIMESTAMP(6)', 'timestamp'], ['oracle', 'TIMESTAMP(6) WITH TIME ZONE', 'timestamptz'],
    ['oracle', 'TIMESTAMP(6) WITH LOCAL TIME ZONE', 'timestamptz'], ['oracle', 'VARCHAR2', 'text'], ['oracle', 'CLOB', 'text'],
    ['oracle', 'BINARY_DOUBLE', 'float'], ['oracle', 'BLOB', 'binary'], ['oracle', 'geometry', 'unknown'],
  ] as const)('%s %s -> %s', (dialect, sourceType, expected) => {
    expect(normaliseSqlType(dialect, sourceType)).toBe(expected);
  });

  it('treats an Oracle NUMBER as an integer only when its scale is 0', () => {
    expect(normaliseSqlType('oracle', 'NUMBER', 0)).toBe('integer');
    expect(normaliseSqlType('oracle', 'NUMBER', 2)).toBe('decimal');
    expect(normaliseSqlType('oracle', 'NUMBER', null)).toBe('decimal');
  });
});
