#!/usr/bin/env node
// Parser throughput: rows/s of parseImportStream (no database) next to csv-parse alone on the same file in
// the same run (the floor any csv-parse-based parser stands on), so the ratio holds on a busy machine.
// NDJSON files are measured next to JSON.parse of each line alone (the NDJSON reader's floor).
//
//   node tools/build/build.mjs libs/parsing src/index.ts          # compiles the lib to dist/libs/parsing
//   npx nx run datagen:build && node dist/tools/datagen/main.js --customers 1000000 --out /tmp/tenant \
//        --entities customers,orders,order_items [--locale pt-BR --encoding latin1] [--format ndjson]
//   node libs/parsing/bench/parse-bench.mjs --dir /tmp/tenant [--timezone America/Sao_Paulo] [--mapping '{...}']
//        [--batch-size N] [--compare /path/to/another/build/libs/parsing/src/index.js]
//
// Reads <dir>/customers, orders, order_items .csv and .ndjson (whichever exist). Sizes are whatever was generated.
// --compare runs a second build of the lib (e.g. a copy of dist/ made before a change) on the same files in
// the same run, for before/after figures; both must produce the same batches (checked by hash).
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { parseArgs } from 'node:util';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../..');
// build.mjs writes the compiled sources under dist/<project>/<source path>.
const built = path.join(root, 'dist', 'libs', 'parsing', 'libs', 'parsing', 'src', 'index.js');
const { values } = parseArgs({
  options: {
    dir: { type: 'string' },
    timezone: { type: 'string', default: 'UTC' },
    mapping: { type: 'string' },
    'batch-size': { type: 'string' },
    compare: { type: 'string' },
  },
});
if (!existsSync(built) || values.dir === undefined) {
  console.error('usage: build with `node tools/build/build.mjs libs/parsing src/index.ts`, then parse-bench.mjs --dir DIR');
  process.exit(2);
}
const { parseImportStream, detectDelimiter } = require(built);
const { parse } = require('csv-parse');
const mapping = values.mapping === undefined ? undefined : JSON.parse(values.mapping);
const batchSize = values['batch-size'] === undefined ? undefined : Number(values['batch-size']);
const compared = values.compare === undefined ? undefined : require(path.resolve(values.compare));

// Wall time and CPU time (user + system, all threads): on a shared machine the CPU-time rate is the
// steadier figure; the ratio to csv-parse alone is the one to quote.
async function timed(fn) {
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const rows = await fn();
  const cpu = process.cpuUsage(cpuBefore);
  const seconds = (performance.now() - started) / 1000;
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  return { rows, seconds, rate: Math.round(rows / seconds), cpuRate: Math.round(rows / cpuSeconds) };
}

/** Data lines of an NDJSON file, each through JSON.parse: what any NDJSON reader must at least do. */
async function jsonParseAlone(file) {
  let rows = 0;
  let rest = '';
  for await (const chunk of createReadStream(file, { encoding: 'utf8' })) {
    const text = rest + chunk;
    let start = 0;
    for (let end = text.indexOf('\n'); end !== -1; end = text.indexOf('\n', start)) {
      const line = text.slice(start, end);
      start = end + 1;
      if (line.trim() !== '' && JSON.parse(line) !== null) rows += 1;
    }
    rest = text.slice(start);
  }
  return rest.trim() === '' ? rows : rows + (JSON.parse(rest) !== null ? 1 : 0);
}

async function csvParseAlone(file) {
  const head = await new Promise((resolve) => createReadStream(file, { end: 65535 }).once('data', (chunk) => resolve(chunk.toString('latin1'))));
  const delimiter = detectDelimiter(head, false);
  let rows = -1; // header
  for await (const record of createReadStream(file).pipe(parse({ delimiter, relax_column_count: true, relax_quotes: true }))) rows += record.length > 0 ? 1 : 0;
  return rows;
}

for (const entity of ['customers', 'orders', 'order_items']) {
  for (const format of ['csv', 'ndjson']) {
    const file = path.join(values.dir, `${entity}.${format}`);
    if (!existsSync(file)) continue;
    const floor = format === 'csv' ? 'csv-parse alone' : 'JSON.parse alone';
    const baseline = await timed(() => (format === 'csv' ? csvParseAlone(file) : jsonParseAlone(file)));
    // Rows and rejects; with `hash`, also a hash of every batch (outside the timed runs: it costs as much as parsing).
    const run = (lib, result, hash) => async () => {
      let rows = 0;
      for await (const batch of lib.parseImportStream(createReadStream(file), { entity, format, timezone: values.timezone, mapping, batchSize })) {
        rows += batch.rows.length;
        result.rejects += batch.rejects.length;
        hash?.update(JSON.stringify(batch));
      }
      return rows;
    };
    const current = { rejects: 0 };
    const parsed = await timed(run({ parseImportStream }, current));
    let comparison = '';
    if (compared !== undefined) {
      const before = await timed(run(compared, { rejects: 0 }));
      const hashes = [createHash('sha1'), createHash('sha1')];
      await run({ parseImportStream }, { rejects: 0 }, hashes[0])();
      await run(compared, { rejects: 0 }, hashes[1])();
      const same = hashes[0].digest('hex') === hashes[1].digest('hex') ? 'same output' : 'OUTPUT DIFFERS';
      comparison = ` | compared build ${before.cpuRate} rows/cpu-s (ratio ${(before.cpuRate / baseline.cpuRate).toFixed(2)}), ${same}`;
    }
    console.log(
      `${`${entity}.${format}`.padEnd(19)} ${String(parsed.rows).padStart(9)} rows, ${current.rejects} rejects | parseImportStream ${parsed.rate} rows/s wall ` +
        `(${parsed.seconds.toFixed(1)} s), ${parsed.cpuRate} rows/cpu-s | ${floor} ${baseline.rate} rows/s wall, ` +
        `${baseline.cpuRate} rows/cpu-s | ratio (cpu) ${(parsed.cpuRate / baseline.cpuRate).toFixed(2)}${comparison}`,
    );
  }
}
