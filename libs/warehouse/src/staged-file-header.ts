import { open } from 'node:fs/promises';
import type { CanonicalEntity } from '@pulse/contracts';
import { warehouseColumns } from './warehouse-tables';
import { WarehouseError } from './warehouse-error';

const HEADER_PROBE_BYTES = 64 * 1024;

/**
 * Checks that a staged file starts with the entity's header, so a file written for another entity or an
 * older column list fails at appendStaged (in the caller's process, with a clear message) instead of
 * loading shifted columns. Names are plain identifiers, so the header needs no CSV unquoting.
 */
export async function assertStagedHeader(path: string, entity: CanonicalEntity): Promise<void> {
  const handle = await open(path, 'r');
  let head: string;
  try {
    const buffer = Buffer.alloc(HEADER_PROBE_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, HEADER_PROBE_BYTES, 0);
    head = buffer.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close();
  }
  const end = head.search(/\r?\n/);
  const header = (end === -1 ? head : head.slice(0, end)).replace(/^\uFEFF/, '');
  const expected = warehouseColumns(entity).join(',');
  if (header !== expected) {
    throw new WarehouseError(
      'warehouse_load_failed',
      `Staged ${entity} file ${path} has header ${JSON.stringify(header.slice(0, 500))}; expected ${JSON.stringify(expected)}`,
    );
  }
}
