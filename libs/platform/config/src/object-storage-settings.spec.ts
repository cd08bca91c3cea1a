import { z } from 'zod';
import { loadConfig, ConfigValidationError } from './load-config';
import { checkObjectStorageEnv, objectStorageEnvShape, toObjectStorageSettings } from './object-storage-settings';

const schema = z.object(objectStorageEnvShape()).superRefine(checkObjectStorageEnv).transform(toObjectStorageSettings);

describe('object storage settings', () => {
  it('defaults to the local folder .pulse/storage', () => {
    expect(loadConfig('test', schema, {})).toEqual({ kind: 'local', directory: '.pulse/storage' });
  });

  it('reads a GCS bucket, project and endpoint', () => {
    expect(
      loadConfig('test', schema, { PULSE_STORAGE: 'gcs', PULSE_STORAGE_BUCKET: 'acme-uploads', PULSE_STORAGE_PROJECT_ID: 'acme-prod', PULSE_STORAGE_GCS_ENDPOINT: 'http://127.0.0.1:4443' }),
    ).toEqual({ kind: 'gcs', bucket: 'acme-uploads', projectId: 'acme-prod', apiEndpoint: 'http://127.0.0.1:4443' });
  });

  it('names the missing bucket when PULSE_STORAGE=gcs, and a bad kind', () => {
    const problems = (environment: Record<string, string>) => {
      try {
        loadConfig('test', schema, environment);
      } catch (error) {
        if (error instanceof ConfigValidationError) return error.problems;
      }
      return [];
    };
    expect(problems({ PULSE_STORAGE: 'gcs' })).toEqual([{ variable: 'PULSE_STORAGE_BUCKET', message: 'is required' }]);
    expect(problems({ PULSE_STORAGE: 's3' })).toEqual([{ variable: 'PULSE_STORAGE', message: 'must be local or gcs' }]);
  });
});
