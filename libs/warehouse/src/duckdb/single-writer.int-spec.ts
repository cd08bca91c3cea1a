import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { DuckDbWarehouse } from './duckdb-warehouse';
import type { WarehouseTenant } from '../warehouse';

const run = promisify(execFile);
const WORKSPACE = path.resolve(__dirname, '../../../..');
const tenant: WarehouseTenant = { tenantId: '7e57a11e-0000-4000-8000-000000000001', slug: 'acme' };

/** Another process opening the tenant's file read-write, as a second metrics replica or a tool would. */
async function openInAnotherProcess(file: string): Promise<string> {
  const script = `require('@duckdb/node-api').DuckDBInstance.create(${JSON.stringify(file)})
    .then((db) => { db.closeSync(); console.log('opened'); })
    .catch((error) => { console.log('refused: ' + error.message); });`;
  const { stdout } = await run(process.execPath, ['-e', script], { cwd: WORKSPACE });
  return stdout.trim();
}

describe('DuckDB single writer per tenant file', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'pulse-writer-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('holds the file against other processes while open, and lets go on close', async () => {
    const warehouse = new DuckDbWarehouse({ directory: dir, threads: 1, idleCloseMs: 120_000 });
    try {
      await warehouse.query(tenant, 'SELECT 1', { label: 'open' });
      expect(await openInAnotherProcess(warehouse.databasePath(tenant))).toMatch(/^refused: .*lock/i);
    } finally {
      await warehouse.close();
    }
    expect(await openInAnotherProcess(warehouse.databasePath(tenant))).toBe('opened');
  });

  it('closes a file left idle, and reopens it on the next call', async () => {
    const warehouse = new DuckDbWarehouse({ directory: dir, threads: 1, idleCloseMs: 200 });
    try {
      await warehouse.execute(tenant, 'CREATE TABLE notes AS SELECT 42 AS answer', { label: 'write' });
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(await openInAnotherProcess(warehouse.databasePath(tenant))).toBe('opened');
      expect(await warehouse.query(tenant, 'SELECT answer FROM notes', { label: 'reopen' })).toEqual([{ answer: 42 }]);
    } finally {
      await warehouse.close();
    }
  });

  it('keeps at most maxOpenTenants files open, closing the least recently used', async () => {
    const other: WarehouseTenant = { tenantId: '7e57a11e-0000-4000-8000-000000000002', slug: 'globex' };
    const warehouse = new DuckDbWarehouse({ directory: dir, threads: 1, maxOpenTenants: 1, idleCloseMs: 120_000 });
    try {
      await warehouse.execute(tenant, 'CREATE TABLE notes AS SELECT 1 AS n', { label: 'a' });
      await warehouse.query(other, 'SELECT 1', { label: 'b' });
      expect(await openInAnotherProcess(warehouse.databasePath(tenant))).toBe('opened');
      expect(await openInAnotherProcess(warehouse.databasePath(other))).toMatch(/^refused: .*lock/i);
      expect(await warehouse.query(tenant, 'SELECT n FROM notes', { label: 'a again' })).toEqual([{ n: 1 }]);
    } finally {
      await warehouse.close();
    }
  });

  it('refuses a second DuckDbWarehouse of this process on the same file, which DuckDB alone would allow', async () => {
    const first = new DuckDbWarehouse({ directory: dir, threads: 1 });
    const second = new DuckDbWarehouse({ directory: dir, threads: 1 });
    try {
      await first.execute(tenant, 'CREATE TABLE notes AS SELECT 1 AS n', { label: 'first' });
      await expect(second.query(tenant, 'SELECT n FROM notes', { label: 'second' })).rejects.toMatchObject({ code: 'warehouse_busy' });
      await first.close();
      expect(await second.query(tenant, 'SELECT n FROM notes', { label: 'second' })).toEqual([{ n: 1 }]);
    } finally {
      await first.close();
      await second.close();
    }
  });
});
