// Prisma CLI configuration for the control-plane schema. Prisma 6.19 with the JS schema engine is the
// combination that works without downloading engine binaries (see shared/ENVIRONMENT.md).
// The CLI is tooling, not a service, so it reads DATABASE_URL itself here.
import path from 'node:path';
import { PrismaPg } from '@prisma/adapter-pg-7';
import { defineConfig } from 'prisma/config';

function connectionFields(url: string) {
  const parsed = new URL(url);
  return {
    host: parsed.hostname,
    port: Number(parsed.port || 5432),
    user: decodeURIComponent(parsed.username),
    password: decodeURIComponent(parsed.password),
    database: parsed.pathname.replace(/^\//, ''),
  };
}

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: path.join(__dirname, 'prisma', 'schema.prisma'),
  migrations: { path: path.join(__dirname, 'prisma', 'migrations') },
  async adapter() {
    const url = process.env['DATABASE_URL'];
    if (!url) throw new Error('DATABASE_URL must be set to run Prisma migrations');
    return new PrismaPg(connectionFields(url));
  },
});
