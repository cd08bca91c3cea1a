import { randomUUID } from 'node:crypto';
import { copyFile, link, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { canonicalEntitySchema } from '@pulse/contracts';
import { z } from 'zod';
import type { StagedLoad } from '../warehouse';
import { assertSafeName } from '../object-uri';
import { WarehouseError } from '../warehouse-error';

const manifestSchema = z.object({
  version: z.literal(1),
  importId: z.string().min(1),
  entity: canonicalEntitySchema,
  mode: z.enum(['upsert', 'replace']),
  objectUri: z.string(),
  queuedAt: z.string(),
});

export type InboxManifest = z.infer<typeof manifestSchema>;

export interface InboxEntry {
  /** `<sequence>-<importId>`: unique per appendStaged call, sorts in queue order. */
  readonly id: string;
  readonly manifest: InboxManifest;
  /** The inbox's own copy (or hard link) of the staged CSV. */
  readonly dataPath: string;
  readonly manifestPath: string;
}

const SEQUENCE_DIGITS = 17;
const ENTRY_PATTERN = new RegExp(`^(\\d{${SEQUENCE_DIGITS}})-([A-Za-z0-9_-]+)\\.json$`);
let lastSequence = 0n;

/** Microseconds since the epoch, strictly increasing within the process, so names sort in call order. */
function nextSequence(): string {
  const now = BigInt(Date.now()) * 1000n;
  lastSequence = now > lastSequence ? now : lastSequence + 1n;
  return lastSequence.toString().padStart(SEQUENCE_DIGITS, '0');
}

/**
 * The per-tenant queue of loads waiting for the tenant's single DuckDB writer:
 * `<root>/<tenantId>/inbox/<sequence>-<importId>.json` (the manifest) next to `....csv` (the data).
 * Writers never open the DuckDB file. An entry appears atomically: data and manifest are written under
 * dot-names and renamed, data first, so a visible manifest always has its complete data beside it.
 */
export class LoadInbox {
  constructor(private readonly rootDir: string) {}

  tenantDir(tenantId: string): string {
    assertSafeName('Tenant id', tenantId);
    return path.join(this.rootDir, tenantId);
  }

  private inboxDir(tenantId: string): string {
    return path.join(this.tenantDir(tenantId), 'inbox');
  }

  /**
   * Queues a load. `writeData` puts the staged CSV at the path it is given (a link, copy or download);
   * `checkData` may reject it (e.g. a wrong header) before anything becomes visible.
   */
  async enqueue(
    load: StagedLoad,
    writeData: (destinationPath: string) => Promise<void>,
    checkData: (dataPath: string) => Promise<void>,
  ): Promise<InboxEntry> {
    assertSafeName('Import id', load.importId);
    const dir = this.inboxDir(load.tenant.tenantId);
    await mkdir(dir, { recursive: true });
    const id = `${nextSequence()}-${load.importId}`;
    const temporary = path.join(dir, `.${id}.${randomUUID()}`);
    const dataPath = path.join(dir, `${id}.csv`);
    const manifestPath = path.join(dir, `${id}.json`);
    const manifest: InboxManifest = {
      version: 1,
      importId: load.importId,
      entity: load.entity,
      mode: load.mode,
      objectUri: load.objectUri,
      queuedAt: new Date().toISOString(),
    };
    try {
      await writeData(`${temporary}.csv`);
      await checkData(`${temporary}.csv`);
      await rename(`${temporary}.csv`, dataPath);
      await writeFile(`${temporary}.json`, JSON.stringify(manifest));
      await rename(`${temporary}.json`, manifestPath);
    } catch (error) {
      await rm(`${temporary}.csv`, { force: true });
      await rm(`${temporary}.json`, { force: true });
      await rm(dataPath, { force: true });
      throw error;
    }
    return { id, manifest, dataPath, manifestPath };
  }

  /** Entries waiting, oldest first. */
  async pending(tenantId: string): Promise<InboxEntry[]> {
    const dir = this.inboxDir(tenantId);
    const names = await readdir(dir).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return [] as string[];
      throw error;
    });
    await removeAbandoned(dir, names.filter((name) => name.startsWith('.')));
    const entries: InboxEntry[] = [];
    for (const name of names.filter((candidate) => ENTRY_PATTERN.test(candidate)).sort()) {
      const manifestPath = path.join(dir, name);
      const parsed = manifestSchema.safeParse(await readJson(manifestPath));
      if (!parsed.success) {
        throw new WarehouseError('warehouse_load_failed', `Inbox entry ${manifestPath} is not a load manifest: ${parsed.error.message}`);
      }
      const id = name.slice(0, -'.json'.length);
      entries.push({ id, manifest: parsed.data, dataPath: path.join(dir, `${id}.csv`), manifestPath });
    }
    return entries;
  }

  /** Removes an applied entry: manifest first, so a crash in between leaves no half-entry behind. */
  async remove(entry: InboxEntry): Promise<void> {
    await rm(entry.manifestPath, { force: true });
    await rm(entry.dataPath, { force: true });
  }
}

async function readJson(file: string): Promise<unknown> {
  const text = await readFile(file, 'utf8');
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Half-written entries of an enqueue that died (dot-names) are removed once surely abandoned. */
const ABANDONED_AFTER_MS = 24 * 60 * 60 * 1000;

async function removeAbandoned(dir: string, temporaryNames: string[]): Promise<void> {
  for (const name of temporaryNames) {
    const file = path.join(dir, name);
    const info = await stat(file).catch(() => undefined);
    // ctime: a hard link keeps the staged file's mtime but updates the inode's ctime.
    if (info && Date.now() - Math.max(info.mtimeMs, info.ctimeMs) > ABANDONED_AFTER_MS) await rm(file, { force: true });
  }
}

/** A hard link when source and inbox share a file system (no copy), otherwise a copy. */
export async function linkOrCopy(sourcePath: string, destinationPath: string): Promise<void> {
  try {
    await link(sourcePath, destinationPath);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new WarehouseError('warehouse_invalid_request', `Staged file ${sourcePath} does not exist`, { cause: error });
    }
    await copyFile(sourcePath, destinationPath);
  }
}
