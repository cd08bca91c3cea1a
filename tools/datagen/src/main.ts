// CLI: node dist/tools/datagen/main.js --customers 1000 --out DIR [--locale pt-BR] [--encoding latin1]
//      [--format csv|ndjson] [--seed N] [--headers canonical|source] [--as-of YYYY-MM-DD] [--entities a,b]
import { parseArgs } from 'node:util';
import { DATAGEN_ENTITIES, type DatagenEntity } from './tenant-model';
import { generateTenantFiles } from './tenant-files';

function oneOf<T extends string>(name: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) throw new Error(`--${name} must be one of ${allowed.join(', ')}, got ${value}`);
  return value as T;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      customers: { type: 'string' },
      out: { type: 'string' },
      seed: { type: 'string' },
      format: { type: 'string' },
      locale: { type: 'string' },
      encoding: { type: 'string' },
      headers: { type: 'string' },
      'as-of': { type: 'string' },
      entities: { type: 'string' },
    },
  });
  if (values.customers === undefined || values.out === undefined) {
    throw new Error('usage: main.js --customers N --out DIR [--seed N] [--format csv|ndjson] [--locale en|pt-BR] [--encoding utf-8|latin1] [--headers canonical|source] [--as-of YYYY-MM-DD] [--entities customers,orders]');
  }
  const entities = values.entities?.split(',').map((entity) => oneOf('entities', entity.trim(), DATAGEN_ENTITIES) as DatagenEntity);
  const started = process.hrtime.bigint();
  const files = await generateTenantFiles({
    customers: Number(values.customers),
    outDir: values.out,
    seed: values.seed === undefined ? undefined : Number(values.seed),
    format: oneOf('format', values.format, ['csv', 'ndjson'] as const),
    locale: oneOf('locale', values.locale, ['en', 'pt-BR'] as const),
    encoding: oneOf('encoding', values.encoding, ['utf-8', 'latin1'] as const),
    headers: oneOf('headers', values.headers, ['canonical', 'source'] as const),
    asOf: values['as-of'],
    entities,
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  for (const file of files) console.log(`${file.entity}\t${file.rows} rows\t${file.bytes} bytes\t${file.path}`);
  const rows = files.reduce((sum, file) => sum + file.rows, 0);
  console.log(`${rows} rows in ${seconds.toFixed(1)} s (${Math.round(rows / seconds)} rows/s)`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
