import { request } from 'http';
import { createServer, type Server } from 'http';
import type { AddressInfo } from 'net';
import { agentAddressLookup, AgentAddressNotAllowedError } from './agent-address-lookup';
import { parseAgentUrlAllowList } from './agent-url-policy';

/** GET through a real socket whose connect uses the guarded lookup. */
function get(url: string, lookup: ReturnType<typeof agentAddressLookup>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { lookup, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('agentAddressLookup', () => {
  let server: Server;
  let port: number;

  beforeAll(async () => {
    server = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('connects when every address the host resolves to is allowed', async () => {
    const lookup = agentAddressLookup(parseAgentUrlAllowList('127.0.0.0/8,::1/128'));
    await expect(get(`http://localhost:${port}/`, lookup)).resolves.toBe(200);
  });

  it('refuses to connect when the host resolves outside the allow list', async () => {
    const lookup = agentAddressLookup(parseAgentUrlAllowList('10.0.0.0/8'));
    await expect(get(`http://localhost:${port}/`, lookup)).rejects.toBeInstanceOf(
      AgentAddressNotAllowedError,
    );
  });

  it('lets a host pattern allow the name, but never a metadata address behind it', async () => {
    const byName = agentAddressLookup(parseAgentUrlAllowList('10.0.0.0/8,localhost'));
    await expect(get(`http://localhost:${port}/`, byName)).resolves.toBe(200);
    // A resolver that answers with the metadata address (DNS rebinding) is refused even for an allowed name.
    const rebinding = agentAddressLookup(parseAgentUrlAllowList('localhost'), ((
      _host: string,
      _options: unknown,
      callback: (error: null, addresses: { address: string; family: number }[]) => void,
    ) => callback(null, [{ address: '169.254.169.254', family: 4 }])) as never);
    await expect(get(`http://localhost:${port}/`, rebinding)).rejects.toBeInstanceOf(
      AgentAddressNotAllowedError,
    );
  });
});
