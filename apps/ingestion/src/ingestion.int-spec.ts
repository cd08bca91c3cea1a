import { describeServiceLifecycle } from '@pulse/testing';

describeServiceLifecycle({ service: 'ingestion', databaseCheck: 'postgres' });
