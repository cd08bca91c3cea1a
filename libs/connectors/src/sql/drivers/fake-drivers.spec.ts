import { SqlConnector } from '../sql-connector';
import { MssqlDriver, type MssqlPool } from './mssql.driver';
import { OracleDriver, ORACLE_EXECUTE_OPTIONS, type OracleConnection } from './oracle.driver';

/** Records every statement and its binds; answers from a script keyed by how the SQL starts. */
class FakeMssqlPool implements MssqlPool {
  readonly calls: { sql: string; inputs: [string, unknown][] }[] = [];
  constructor(private readonly answer: (sql: string) => Record<string, unknown>[] & { columns?: Record<string, { name: string; type: unknown; scale?: number }> }) {}
  request() {
    const inputs: [string, unknown][] = [];
    return {
      input: (name: string, value: unknown) => inputs.push([name, value]),
      query: async (sql: string) => {
        this.calls.push({ sql, inputs });
        return { recordset: this.answer(sql) };
      },
    };
  }
  async close() {}
}

describe('SQL Server connector (against a fake pool)', () => {
  const described = Object.assign([], {
    columns: {
      id: { name: 'id', type: { declaration: 'bigint' } },
      changed_at: { name: 'changed_at', type: { declaration: 'datetime2' } },
      total: { name: 'total', type: { declaration: 'decimal' }, scale: 2 },
    },
  });

  it('reads pages with the expanded tuple comparison, @p binds and exact cursor text from CONVERT()', async () => {
    const pool = new FakeMssqlPool((sql) => {
      if (sql.startsWith('SELECT TOP 0')) return described;
      if (sql.includes('@p1')) return [];
      return [
        { id: '5', changed_at: new Date('2026-03-01T10:00:00.123Z'), total: 9.5, __pulse_k0: '2026-03-01T10:00:00.1234567', __pulse_k1: '5' },
        { id: '6', changed_at: new Date('2026-03-01T10:00:00.123Z'), total: 1, __pulse_k0: '2026-03-01T10:00:00.1234567', __pulse_k1: '6' },
      ];
    });
    const connector = new SqlConnector(new MssqlDriver(pool), {
      source: { table: { schema: 'dbo', name: 'orders' } }, mode: 'incremental', cursorColumns: ['changed_at'], primaryKey: ['id'], pageSize: 2,
    });
    const first = await connector.readPage(null, { syncStart: true });
    expect(pool.calls[0]).toEqual({ sql: 'SELECT TOP 0 src.* FROM [dbo].[orders] src', inputs: [] });
    expect(pool.calls[1]).toEqual({
      sql:
        'SELECT src.*, CONVERT(varchar(27), src.[changed_at], 126) AS [__pulse_k0], CONVERT(varchar(50), src.[id]) AS [__pulse_k1] ' +
        'FROM [dbo].[orders] src WHERE src.[changed_at] IS NOT NULL ORDER BY src.[changed_at], src.[id] OFFSET 0 ROWS FETCH NEXT 2 ROWS ONLY',
      inputs: [],
    });
    // Records carry the driver's values (Dates as ISO text), without the helper aliases.
    expect(first.kind === 'records' && first.records).toEqual([
      { id: '5', changed_at: '2026-03-01T10:00:00.123Z', total: 9.5 },
      { id: '6', changed_at: '2026-03-01T10:00:00.123Z', total: 1 },
    ]);
    expect(first.done).toBe(false);

    // The saved position holds the exact text (100 ns digits), not the rounded Date.
    await connector.readPage(first.state, { syncStart: false });
    expect(pool.calls[2]?.inputs).toEqual([
      ['p1', '2026-03-01T10:00:00.1234567'], ['p2', '2026-03-01T10:00:00.1234567'], ['p3', '6'],
    ]);
    expect(pool.calls[2]?.sql).toContain(
      'WHERE src.[changed_at] IS NOT NULL AND (src.[changed_at] > CONVERT(datetime2, @p1, 126) OR (src.[changed_at] = CONVERT(datetime2, @p2, 126) AND src.[id] > @p3))',
    );
    expect((await connector.describeSource()).map((column) => [column.name, column.type])).toEqual([
      ['id', 'integer'], ['changed_at', 'timestamp'], ['total', 'decimal'],
    ]);
  });
});

describe('Oracle connector (against a fake connection)', () => {
  it('binds positionally with TO_TIMESTAMP/TO_NUMBER conversions and maps NUMBER by scale', async () => {
    const calls: { sql: string; binds: unknown[]; options: Record<string, unknown> }[] = [];
    const connection: OracleConnection = {
      async execute(sql, binds, options) {
        calls.push({ sql, binds, options });
        if (sql.endsWith('WHERE 1 = 0')) {
          return {
            rows: [],
            metaData: [
              { name: 'ID', dbTypeName: 'NUMBER', scale: 0 },
              { name: 'CHANGED_AT', dbTypeName: 'TIMESTAMP' },
              { name: 'AMOUNT', dbTypeName: 'NUMBER', scale: 2 },
              { name: 'NOTE', dbTypeName: 'CLOB' },
            ],
          };
        }
        return { rows: [] };
      },
      async close() {},
    };
    const connector = new SqlConnector(new OracleDriver(connection), {
      source: { table: { schema: 'APP', name: 'ORDERS' } }, mode: 'incremental', cursorColumns: ['CHANGED_AT'], primaryKey: ['ID'], pageSize: 1000,
    });
    const state = { v: 1, mode: 'incremental', after: ['2026-03-01T10:00:00.123456789', '77'], from: null, highWater: ['2026-03-01T10:00:00.123456789', '77'], recent: {} };
    const page = await connector.readPage(state, { syncStart: true });
    expect(page).toEqual({ kind: 'records', records: [], state: { ...state, after: state.after }, done: true });
    expect(calls[1]?.sql).toBe(
      `SELECT src.*, TO_CHAR(src."CHANGED_AT", 'YYYY-MM-DD"T"HH24:MI:SS.FF9') AS "__pulse_k0", TO_CHAR(src."ID", 'TM9', 'NLS_NUMERIC_CHARACTERS=''.,''') AS "__pulse_k1" ` +
        `FROM "APP"."ORDERS" src WHERE src."CHANGED_AT" IS NOT NULL AND (src."CHANGED_AT" > TO_TIMESTAMP(:1, 'YYYY-MM-DD"T"HH24:MI:SS.FF9') ` +
        `OR (src."CHANGED_AT" = TO_TIMESTAMP(:2, 'YYYY-MM-DD"T"HH24:MI:SS.FF9') AND src."ID" > TO_NUMBER(:3))) ` +
        `ORDER BY src."CHANGED_AT", src."ID" OFFSET 0 ROWS FETCH NEXT 1000 ROWS ONLY`,
    );
    expect(calls[1]?.binds).toEqual(['2026-03-01T10:00:00.123456789', '2026-03-01T10:00:00.123456789', '77']);
    expect(calls[1]?.options).toBe(ORACLE_EXECUTE_OPTIONS);
    expect((await connector.describeSource()).map((column) => [column.name, column.type])).toEqual([
      ['ID', 'integer'], ['CHANGED_AT', 'timestamp'], ['AMOUNT', 'decimal'], ['NOTE', 'text'],
    ]);
    // Numbers, dates and CLOBs are fetched as text; other types as the driver returns them.
    expect(ORACLE_EXECUTE_OPTIONS.fetchTypeHandler({ dbType: { name: 'DB_TYPE_NUMBER' } })).toEqual({ type: expect.anything() });
    expect(ORACLE_EXECUTE_OPTIONS.fetchTypeHandler({ dbType: { name: 'DB_TYPE_VARCHAR' } })).toBeUndefined();
  });
});
