import { buildDescribeQuery, buildPageQuery } from './page-query';
import { mssqlDialect, mysqlDialect, oracleDialect, postgresDialect, type TypedColumn } from './sql-dialect';

const updatedAt: TypedColumn = { name: 'updated_at', type: 'timestamp', sourceType: 'timestamp' };
const id: TypedColumn = { name: 'id', type: 'integer', sourceType: 'integer' };
const incremental = {
  source: { table: { schema: 'sales', name: 'orders' } },
  order: [updatedAt, id],
  cursorColumns: 1,
  after: ['2026-03-01T10:00:00.123456', 7],
  from: null,
  limit: 500,
};

describe('buildPageQuery', () => {
  it('uses a row-value comparison in PostgreSQL', () => {
    expect(buildPageQuery(postgresDialect, incremental)).toEqual({
      sql:
        'SELECT src.* FROM "sales"."orders" src WHERE src."updated_at" IS NOT NULL AND (src."updated_at", src."id") > ($1, $2) ' +
        'ORDER BY src."updated_at", src."id" LIMIT 500',
      params: ['2026-03-01T10:00:00.123456', 7],
      exactAliases: [null, null],
    });
  });

  it('uses a row-value comparison and ? placeholders in MySQL, with backquoted identifiers', () => {
    expect(buildPageQuery(mysqlDialect, { ...incremental, from: '2026-03-01T09:59:00.123456' })).toEqual({
      sql:
        'SELECT src.* FROM `sales`.`orders` src WHERE src.`updated_at` IS NOT NULL AND src.`updated_at` >= ? ' +
        'AND (src.`updated_at`, src.`id`) > (?, ?) ORDER BY src.`updated_at`, src.`id` LIMIT 500',
      params: ['2026-03-01T09:59:00.123456', '2026-03-01T10:00:00.123456', 7],
      exactAliases: [null, null],
    });
  });

  it('expands the tuple comparison for SQL Server, converts bound timestamps and reads exact cursor text', () => {
    expect(buildPageQuery(mssqlDialect, { ...incremental, order: [{ ...updatedAt, sourceType: 'datetime2' }, { ...id, sourceType: 'int' }] })).toEqual({
      sql:
        'SELECT src.*, CONVERT(varchar(27), src.[updated_at], 126) AS [__pulse_k0], CONVERT(varchar(50), src.[id]) AS [__pulse_k1] ' +
        'FROM [sales].[orders] src WHERE src.[updated_at] IS NOT NULL AND (src.[updated_at] > CONVERT(datetime2, @p1, 126) ' +
        'OR (src.[updated_at] = CONVERT(datetime2, @p2, 126) AND src.[id] > @p3)) ' +
        'ORDER BY src.[updated_at], src.[id] OFFSET 0 ROWS FETCH NEXT 500 ROWS ONLY',
      params: ['2026-03-01T10:00:00.123456', '2026-03-01T10:00:00.123456', 7],
      exactAliases: ['__pulse_k0', '__pulse_k1'],
    });
  });

  it('expands a three-column tuple for Oracle with positional binds and explicit conversions', () => {
    const oracleOrder: TypedColumn[] = [
      { name: 'CHANGED', type: 'timestamp', sourceType: 'DATE' },
      { name: 'REGION', type: 'text', sourceType: 'VARCHAR2' },
      { name: 'ID', type: 'integer', sourceType: 'NUMBER' },
    ];
    const query = buildPageQuery(oracleDialect, {
      source: { table: { schema: 'APP', name: 'ORDERS' } },
      order: oracleOrder,
      cursorColumns: 1,
      after: ['2026-03-01T10:00:00', 'north', '42'],
      from: null,
      limit: 100,
    });
    const changed = `TO_DATE(:N, 'YYYY-MM-DD"T"HH24:MI:SS')`;
    expect(query.sql).toBe(
      `SELECT src.*, TO_CHAR(src."CHANGED", 'YYYY-MM-DD"T"HH24:MI:SS') AS "__pulse_k0", TO_CHAR(src."ID", 'TM9', 'NLS_NUMERIC_CHARACTERS=''.,''') AS "__pulse_k2" ` +
        `FROM "APP"."ORDERS" src WHERE src."CHANGED" IS NOT NULL AND (src."CHANGED" > ${changed.replace('N', '1')} ` +
        `OR (src."CHANGED" = ${changed.replace('N', '2')} AND src."REGION" > :3) ` +
        `OR (src."CHANGED" = ${changed.replace('N', '4')} AND src."REGION" = :5 AND src."ID" > TO_NUMBER(:6))) ` +
        `ORDER BY src."CHANGED", src."REGION", src."ID" OFFSET 0 ROWS FETCH NEXT 100 ROWS ONLY`,
    );
    expect(query.params).toEqual(['2026-03-01T10:00:00', '2026-03-01T10:00:00', 'north', '2026-03-01T10:00:00', 'north', '42']);
    expect(query.exactAliases).toEqual(['__pulse_k0', null, '__pulse_k2']);
  });

  it('wraps a configured SELECT as a subquery and reads a full refresh by key only', () => {
    expect(
      buildPageQuery(postgresDialect, {
        source: { query: 'SELECT id, name FROM customers WHERE active;  ' },
        order: [id],
        cursorColumns: 0,
        after: [41],
        from: null,
        limit: 10,
      }),
    ).toEqual({
      sql: 'SELECT src.* FROM (\nSELECT id, name FROM customers WHERE active\n) src WHERE src."id" > $1 ORDER BY src."id" LIMIT 10',
      params: [41],
      exactAliases: [null],
    });
  });

  it('puts a configured SELECT on lines of its own, so that its closing line comment does not comment out the rest', () => {
    const { sql } = buildPageQuery(postgresDialect, { source: { query: 'SELECT id FROM customers -- the active ones' }, order: [id], cursorColumns: 0, after: null, from: null, limit: 10 });
    // Before: `(SELECT id FROM customers -- the active ones) src ...`, the `)` and all after it a comment.
    expect(sql.split('\n')).toEqual(['SELECT src.* FROM (', 'SELECT id FROM customers -- the active ones', ') src ORDER BY src."id" LIMIT 10']);
  });

  it('quotes hostile identifiers instead of executing them and keeps values out of the SQL text', () => {
    const query = buildPageQuery(postgresDialect, {
      source: { table: { name: 'orders"; DROP TABLE x; --' } },
      order: [{ name: 'a"b', type: 'text', sourceType: 'text' }],
      cursorColumns: 0,
      after: ["'; DELETE FROM orders; --"],
      from: null,
      limit: 1,
    });
    expect(query.sql).toBe('SELECT src.* FROM "orders""; DROP TABLE x; --" src WHERE src."a""b" > $1 ORDER BY src."a""b" LIMIT 1');
    expect(query.params).toEqual(["'; DELETE FROM orders; --"]);
    expect(buildPageQuery(mysqlDialect, { ...incremental, source: { table: { name: 'we`ird' } } }).sql).toContain('FROM `we``ird` src');
    expect(buildPageQuery(mssqlDialect, { ...incremental, source: { table: { name: 'we]ird' } } }).sql).toContain('FROM [we]]ird] src');
  });

  it('rejects page sizes that are not small positive integers, and a saved position of the wrong width', () => {
    expect(() => buildPageQuery(postgresDialect, { ...incremental, limit: 0 })).toThrow('Page size must be an integer from 1 to 50000, got 0');
    expect(() => buildPageQuery(postgresDialect, { ...incremental, limit: 1.5 })).toThrow('got 1.5');
    expect(() => buildPageQuery(postgresDialect, { ...incremental, after: ['x'] })).toThrow('The saved position has 1 values for 2 ordering columns');
  });

  it('describes a source with a query that returns no rows, in each dialect', () => {
    const source = { table: { name: 't' } };
    expect(buildDescribeQuery(postgresDialect, source)).toBe('SELECT src.* FROM "t" src LIMIT 0');
    expect(buildDescribeQuery(mysqlDialect, source)).toBe('SELECT src.* FROM `t` src LIMIT 0');
    expect(buildDescribeQuery(mssqlDialect, source)).toBe('SELECT TOP 0 src.* FROM [t] src');
    expect(buildDescribeQuery(oracleDialect, source)).toBe('SELECT src.* FROM "t" src WHERE 1 = 0');
  });
});
