import { startFleet } from '@upshift/fleet';
import { loadFleetSimConfig, toFleetOptions } from '../src/config';

/** What the runnable simulator adds to libs/fleet: its variables, validated and turned into FleetOptions. */
const AGENT_AUTH_KEY = 'ab'.repeat(32);

const optionsFrom = (env: NodeJS.ProcessEnv) =>
  toFleetOptions(loadFleetSimConfig({ AGENT_AUTH_KEY, ...env }, []));

describe('the fleet simulator configuration', () => {
  it('turns the variables into fleet options, parsing the latency profile and the trusted keys', () => {
    const options = optionsFrom({
      FLEET_INSTANCES: '3',
      FLEET_PORT: '0',
      FLEET_LATENCY: '{"default":{"kind":"fixed","ms":5}}',
      FLEET_TRUSTED_KEYS: 'key-a,,key-b',
    });
    expect(options).toMatchObject({
      instances: 3,
      port: 0,
      namePrefix: 'sim',
      initialVersion: '1.0.0',
      latency: { default: { kind: 'fixed', ms: 5 } },
      trustedPublicKeys: ['key-a', 'key-b'],
      registration: undefined,
    });
  });

  it('registers only with all of tenant, component and version, and a registry token', () => {
    const registration = {
      REGISTRY_URL: 'http://127.0.0.1:8085',
      FLEET_TENANT_ID: 't1',
      FLEET_COMPONENT_ID: 'c1',
      FLEET_VERSION_ID: 'v1',
    };
    expect(() => optionsFrom({ ...registration, FLEET_VERSION_ID: undefined })).toThrow(
      /set all of FLEET_TENANT_ID, FLEET_COMPONENT_ID and FLEET_VERSION_ID/,
    );
    expect(() => optionsFrom(registration)).toThrow(/set FLEET_REGISTRY_TOKEN/);
    expect(optionsFrom({ ...registration, FLEET_REGISTRY_TOKEN: 'token' }).registration).toEqual({
      registryUrl: 'http://127.0.0.1:8085',
      token: 'token',
      tenantId: 't1',
      componentId: 'c1',
      versionId: 'v1',
    });
  });

  it('binds every interface and writes the advertised host into the agent URLs (as in a container)', async () => {
    const fleet = await startFleet(
      optionsFrom({
        FLEET_INSTANCES: '1',
        FLEET_PORT: '0',
        FLEET_HOST: '0.0.0.0',
        FLEET_ADVERTISED_HOST: 'fleet-sim',
      }),
    );
    try {
      const port = Number(new URL(fleet.baseUrl).port);
      expect(fleet.baseUrl).toBe(`http://fleet-sim:${port}`);
      expect(fleet.instances[0]?.agentUrl).toBe(`http://fleet-sim:${port}/i/sim-0001`);
      // Bound to 0.0.0.0: reachable on loopback too, whatever the advertised name resolves to.
      const response = await fetch(`http://127.0.0.1:${port}/admin/instances`);
      expect(response.status).toBe(200);
    } finally {
      await fleet.stop();
    }
  });

  it('names the variable of a value it refuses', () => {
    expect(() => optionsFrom({ FLEET_LATENCY: '{"default":{"kind":"fixed"}}' })).toThrow(
      'FLEET_LATENCY: default: fixed needs ms >= 0',
    );
    expect(() => optionsFrom({ FLEET_FAULTS: 'not json' })).toThrow('FLEET_FAULTS is not valid JSON');
    expect(() => loadFleetSimConfig({ FLEET_PORT: '70000' }, [])).toThrow(
      /invalid fleet-sim configuration: FLEET_PORT/,
    );
    expect(() => optionsFrom({ AGENT_AUTH_KEY: '' })).toThrow(/AGENT_AUTH_KEY is required/);
  });
});
