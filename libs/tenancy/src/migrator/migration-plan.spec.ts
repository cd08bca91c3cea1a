import { migrationChecksum, type TenantMigration } from './migration-files';
import { planTenantMigrations, schemaVersionOf } from './migration-plan';

function migration(name: string, sql = `-- ${name}\nSELECT 1;\n`): TenantMigration {
  return { name, sql, checksum: migrationChecksum(sql) };
}

describe('migrationChecksum', () => {
  it('is the sha256 of the SQL, blind to CRLF vs LF line endings', () => {
    expect(migrationChecksum('SELECT 1;\n')).toBe('b4e0497804e46e0a0b0b8c31975b062152d551bac49c3c2e80932567b4085dcd');
    expect(migrationChecksum('SELECT 1;\r\nSELECT 2;\r\n')).toBe(migrationChecksum('SELECT 1;\nSELECT 2;\n'));
    expect(migrationChecksum('SELECT 1;')).not.toBe(migrationChecksum('SELECT 2;'));
  });
});

describe('planTenantMigrations', () => {
  const a = migration('20260101000000_a');
  const b = migration('20260102000000_b');
  const c = migration('20260103000000_c');

  it('plans every migration for a fresh database, in order', () => {
    expect(planTenantMigrations([a, b, c], []).map((m) => m.name)).toEqual([a.name, b.name, c.name]);
  });

  it('plans only what is missing, including one that sorts before an applied one', () => {
    const applied = [a, c].map(({ name, checksum }) => ({ name, checksum }));
    expect(planTenantMigrations([a, b, c], applied).map((m) => m.name)).toEqual([b.name]);
    expect(planTenantMigrations([a, b, c], [...applied, { name: b.name, checksum: b.checksum }])).toEqual([]);
  });

  it('refuses when an applied migration changed since, naming it', () => {
    const applied = [{ name: a.name, checksum: migrationChecksum('-- the original\n') }];
    expect(() => planTenantMigrations([a, b], applied)).toThrow(
      expect.objectContaining({ code: 'tenant_migration_checksum_mismatch', migration: a.name }),
    );
  });

  it('refuses when the database has a migration the folder lacks', () => {
    const applied = [a, { name: '20260109000000_from_the_future', checksum: 'x' }];
    expect(() => planTenantMigrations([a, b], applied)).toThrow(
      expect.objectContaining({ code: 'tenant_migration_unknown_applied', migration: '20260109000000_from_the_future' }),
    );
  });
});

describe('schemaVersionOf', () => {
  it('is the lexically newest name, or null for none', () => {
    expect(schemaVersionOf(['20260102_b', '20260103_c', '20260101_a'])).toBe('20260103_c');
    expect(schemaVersionOf([])).toBeNull();
  });
});
