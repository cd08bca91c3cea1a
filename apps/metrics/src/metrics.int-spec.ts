import { describeServiceLifecycle } from '@pulse/testing';

describeServiceLifecycle({ service: 'metrics', databaseCheck: 'postgres' });
