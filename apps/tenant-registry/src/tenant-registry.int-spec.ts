import { describeServiceLifecycle } from '@pulse/testing';

describeServiceLifecycle({ service: 'tenant-registry', databaseCheck: 'control-plane-db' });
