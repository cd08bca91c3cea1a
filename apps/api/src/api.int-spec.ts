import { describeServiceLifecycle } from '@pulse/testing';

describeServiceLifecycle({ service: 'api', databaseCheck: 'postgres' });
