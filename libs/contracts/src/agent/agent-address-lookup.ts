import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'dns';
import { checkAgentAddress, hostMatches, type AgentUrlPolicy } from './agent-url-policy';

/** A connection was not made because the agent's host resolved to an address the policy refuses. */
export class AgentAddressNotAllowedError extends Error {
  override readonly name = 'AgentAddressNotAllowedError';
  readonly code = 'ERR_AGENT_ADDRESS_NOT_ALLOWED';
}

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/**
 * A `lookup` for `http.Agent` / `net.connect` that resolves the host with dns.lookup and refuses the
 * connection unless **every** address it resolved to passes the policy (ADR 0072). Checking inside the
 * connect itself means the socket goes to an address that was checked: a name that resolves to an
 * allowed address when checked and to 169.254.169.254 a moment later (DNS rebinding) gains nothing.
 * Sockets to IP literals skip lookups altogether; callers check those with checkAgentUrl first.
 */
export function agentAddressLookup(policy: AgentUrlPolicy, resolve: typeof dnsLookup = dnsLookup) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    resolve(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, []);
      const nameAllowed = hostMatches(hostname, policy);
      const refused = addresses.find((a) => !checkAgentAddress(a.address, policy, nameAllowed).allowed);
      if (refused || addresses.length === 0) {
        return callback(new AgentAddressNotAllowedError('the agent host resolves to a refused address'), []);
      }
      if (options.all) return callback(null, addresses);
      const first = addresses[0] as LookupAddress;
      callback(null, first.address, first.family);
    });
  };
}
