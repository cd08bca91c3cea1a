import { createTestDatabase, databaseUrl, testDatabaseName, testPostgresUrlOrThrow } from './test-database';

describe('testDatabaseName', () => {
  it('starts with the prefix and differs on every call', () => {
    const names = new Set(Array.from({ length: 50 }, () => testDatabaseName('tenant_registry')));
    expect(names.size).toBe(50);
    for (const name of names) expect(name).toMatch(/^tenant_registry_[0-9a-z]+_[0-9a-f]{8}$/);
  });

  it('fits a PostgreSQL identifier (63 bytes) even with the longest prefix', () => {
    expect(testDatabaseName('a'.repeat(30)).length).toBeLessThanOrEqual(63);
  });

  it.each(['', 'Upper', '1starts_with_digit', 'has-dash', 'x"; DROP DATABASE postgres; --', 'a'.repeat(31)])(
    'rejects the prefix %j',
    (prefix) => {
      expect(() => testDatabaseName(prefix)).toThrow('Invalid test database prefix');
    },
  );
});

describe('databaseUrl', () => {
  it('points the server URL at another database, keeping credentials and parameters', () => {
    expect(databaseUrl('postgresql://postgres:p%40ss@127.0.0.1:54321/postgres?sslmode=disable', 'test_abc')).toBe(
      'postgresql://postgres:p%40ss@127.0.0.1:54321/test_abc?sslmode=disable',
    );
  });
});

describe('testPostgresUrlOrThrow', () => {
  it('returns the server URL the integration preset exported', () => {
    expect(testPostgresUrlOrThrow({ PULSE_TEST_POSTGRES_URL: 'postgresql://x@h/postgres' })).toBe('postgresql://x@h/postgres');
  });

  it('names the integration preset when the variable is missing', () => {
    expect(() => testPostgresUrlOrThrow({})).toThrow(/PULSE_TEST_POSTGRES_URL is not set.*jest\.preset\.cjs'\)\.integration/s);
  });
});

describe('createTestDatabase outside the integration preset', () => {
  it('fails with the explanation before touching any server', async () => {
    const saved = process.env['PULSE_TEST_POSTGRES_URL'];
    delete process.env['PULSE_TEST_POSTGRES_URL'];
    try {
      await expect(createTestDatabase()).rejects.toThrow('PULSE_TEST_POSTGRES_URL is not set');
    } finally {
      if (saved !== undefined) process.env['PULSE_TEST_POSTGRES_URL'] = saved;
    }
  });
});
