import archiver from 'archiver';
import { Client, escapeIdentifier } from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/**
 * A tenant's data for portability (LGPD/GDPR): a zip with one NDJSON file per table of its database
 * (every row, as JSON) and a manifest with row counts. Streams from PostgreSQL COPY to the output, so
 * memory stays flat whatever the tenant's size. Connects with the tenant's own role.
 */
export async function writeTenantExport(connectionString: string, output: Writable, tenant: { slug: string }): Promise<Record<string, number>> {
  // Joined to the output before anything is awaited: the output can fail at any time (a download cut
  // short, a file that cannot be opened or written), and that failure must end the export, not the
  // process as an unhandled rejection or 'error' event.
  const archive = archiver('zip', { zlib: { level: 6 } });
  const done = pipeline(archive, output);
  done.catch(() => undefined); // awaited below; this only keeps an early failure from being unhandled
  const client = new Client({ connectionString, application_name: 'tenant-registry-export' });
  client.on('error', () => undefined); // surfaces as the failing COPY instead of ending the process
  const rowCounts: Record<string, number> = {};
  try {
    await Promise.race([client.connect(), done]);
    // A repeatable-read snapshot: all tables as of one instant, even while ingestion writes.
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const tables = await client.query<{ tablename: string }>(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`);
    for (const { tablename } of tables.rows) {
      rowCounts[tablename] = 0;
      // CSV with delimiters JSON never contains raw (it escapes control characters), so each line is
      // exactly row_to_json's output; text format would double every backslash.
      const copy = client.query(
        copyTo(`COPY (SELECT row_to_json(t) FROM ${escapeIdentifier(tablename)} t) TO STDOUT WITH (FORMAT csv, DELIMITER E'\\x01', QUOTE E'\\x02')`),
      );
      const counter = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          for (const byte of chunk) if (byte === 0x0a) rowCounts[tablename] = (rowCounts[tablename] ?? 0) + 1;
          callback(null, chunk);
        },
      });
      archive.append(copy.pipe(counter), { name: `${tablename}.ndjson` });
      const copied = new Promise<void>((resolve, reject) => {
        counter.once('end', resolve);
        copy.once('error', reject);
      });
      // A COPY cut off by a failed output can emit more errors as its session closes (pg-copy-streams
      // reads from a connection already gone): the first one failed the export, the others are noise.
      copy.on('error', () => undefined);
      // A failed output stops reading the table, which would then never end.
      await Promise.race([copied, done]);
    }
    await client.query('COMMIT');
    archive.append(JSON.stringify({ tenant: tenant.slug, exportedAt: new Date().toISOString(), format: 'ndjson', rowCounts }, null, 2), {
      name: 'manifest.json',
    });
    await archive.finalize();
    await done;
    return rowCounts;
  } catch (error) {
    archive.abort();
    output.destroy();
    throw error;
  } finally {
    // Ends the session even in the middle of a COPY nobody reads any more.
    await client.end().catch(() => undefined);
  }
}
