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
