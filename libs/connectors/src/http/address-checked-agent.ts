import { Agent, buildConnector } from 'undici';
import type { SourceAddressPolicy } from '../network/source-address-policy';

/**
 * An undici Agent for requests to tenant-configured URLs (REST sources, file stores, Sheets): every new
 * connection resolves its host through the address policy and connects to the address the policy
 * checked — also for an IP-literal host, which Node would connect to without any lookup. TLS keeps
 * the original host name for SNI and certificate verification (undici derives `servername` from
 * `host`, which is left as it was). A refusal fails the request with SourceAddressNotAllowedError.
 */
export function addressCheckedAgent(policy: SourceAddressPolicy, options: Omit<Agent.Options, 'connect'> = {}): Agent {
  const connect = buildConnector({});
  return new Agent({
    ...options,
    connect: (connection, callback) => {
      policy.resolve(connection.hostname).then(
        (checked) => connect({ ...connection, hostname: checked.address }, callback),
        (error: Error) => callback(error, null),
      );
    },
  });
}
