import { z } from 'zod';
import { postgresUrl, secretString } from './env-fields';
import { ConfigValidationError, describeConfig, loadConfig } from './load-config';
import { serviceEnvShape, toServiceSettings } from './service-settings';

const schema = z
  .object({
    ...serviceEnvShape(3000),
    DATABASE_URL: postgresUrl(),
    OPERATOR_TOKEN: secretString(16),
  })
  .transform((env) => ({
    service: toServiceSettings('demo', env),
    database: { url: env.DATABASE_URL },
    operatorToken: env.OPERATOR_TOKEN,
  }));

const validEnv = {
  DATABASE_URL: 'postgresql://pulse:s3cret@db.internal:5432/pulse',
  OPERATOR_TOKEN: 'a-very-long-operator-token',
};

describe('loadConfig', () => {
  it('turns the flat environment into the structured config with defaults', () => {
    const config = loadConfig('demo', schema, validEnv);

    expect(config.service).toEqual({
      name: 'demo',
      version: 'dev',
      environment: 'development',
      http: { host: '0.0.0.0', port: 3000 },
      log: { level: 'info', format: 'pretty' },
      shutdownTimeoutMs: 10_000,
    });
    expect(config.database.url.reveal()).toBe(validEnv.DATABASE_URL);
  });

  it('uses JSON logs outside development unless told otherwise', () => {
    expect(loadConfig('demo', schema, { ...validEnv, NODE_ENV: 'production' }).service.log.format).toBe('json');
    expect(loadConfig('demo', schema, { ...validEnv, NODE_ENV: 'production', LOG_FORMAT: 'pretty' }).service.log.format).toBe(
      'pretty',
    );
  });

  it('names every bad or missing variable in one error', () => {
    const attempt = () => loadConfig('demo', schema, { PORT: 'eighty', LOG_LEVEL: 'loud', DATABASE_URL: 'mysql://x@y/z' });

    expect(attempt).toThrow(ConfigValidationError);
    try {
      attempt();
    } catch (error) {
      const problems = (error as ConfigValidationError).problems;
      expect(problems.map((p) => p.variable).sort()).toEqual(['DATABASE_URL', 'LOG_LEVEL', 'OPERATOR_TOKEN', 'PORT']);
      expect(problems.find((p) => p.variable === 'OPERATOR_TOKEN')?.message).toBe('is required');
      expect(problems.find((p) => p.variable === 'DATABASE_URL')?.message).toBe('must be a postgres:// or postgresql:// URL');
      expect((error as Error).message).toContain('Invalid environment for demo:');
      expect((error as Error).message).toContain('  - PORT: must be a port number');
    }
  });

  it('rejects out-of-range ports and treats empty strings as unset', () => {
    expect(() => loadConfig('demo', schema, { ...validEnv, PORT: '70000' })).toThrow('PORT: must be between 1 and 65535');
    expect(loadConfig('demo', schema, { ...validEnv, PORT: '' }).service.http.port).toBe(3000);
  });
});

describe('describeConfig', () => {
  it('masks secrets but keeps the rest readable', () => {
    const described = JSON.stringify(describeConfig(loadConfig('demo', schema, validEnv)));

    expect(described).not.toContain('s3cret');
    expect(described).not.toContain('a-very-long-operator-token');
    expect(described).toContain('postgresql://pulse:****@db.internal:5432/pulse');
    expect(described).toContain('"operatorToken":"****"');
  });

  it('masks secrets in template strings too', () => {
    const config = loadConfig('demo', schema, validEnv);
    expect(`${config.operatorToken}`).toBe('****');
  });
});
