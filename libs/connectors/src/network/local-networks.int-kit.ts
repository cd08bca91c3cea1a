import { SourceAddressPolicy } from './source-address-policy';

/**
 * The allow-list integration tests pass explicitly: their sources (embedded PostgreSQL, MariaDB, local
 * HTTP fakes) listen on loopback, which the production default refuses.
 */
export const LOOPBACK_ALLOW_LIST = ['127.0.0.0/8', '::1/128'];

export const LOCAL_TEST_ADDRESSES = SourceAddressPolicy.allowing(LOOPBACK_ALLOW_LIST);
