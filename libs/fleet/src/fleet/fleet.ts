import { randomUUID, type KeyObject } from 'crypto';
import { createServer, type Server } from 'http';
import type { AddressInfo } from 'net';
import { MemoryNonceStore, type AgentCapacity, type AgentKeyring } from '@upshift/contracts';
import { httpArtifactSource, parsePublicKeys, type ArtifactSource } from '../agent/artifact-verifier';
import { fetchComponentSigningKeys, withKeys } from '../agent/registry-signing-keys';
import type { AppliedCall } from '../agent/fencing';
import { SimulatedAgent, type AgentEnvironment, type TracedCall } from '../agent/simulated-agent';
import { fleetHttpHandler } from '../http/fleet-http-handler';
import { forEachConcurrently, RegistryInventoryClient } from '../registry/registry-inventory-client';
import type { FaultConfig } from './faults';
import type { LatencyProfile } from './latency';
import { OutOfServiceRecorder, type OutOfServiceHistory } from './out-of-service-recorder';
import { seededRandom } from './random';

export interface FleetRegistration {
  /** Base URL of the registry service, e.g. http://127.0.0.1:8085. */
  registryUrl: string;
  /** A bearer token with the operator role for the tenant (registering instances needs it). */
  token: string;
  tenantId: string;
  componentId: string;
  /** The registry's id of the version the instances start at. */
  versionId: string;
  labels?: Record<string, string>;
  /** Registrations in flight at once (default 16). */
  concurrency?: number;
}

export interface FleetOptions {
  /** Number of simulated instances. */
  instances: number;
  /** Version string every instance starts at (the registry's `version` of `registration.versionId`). */
  initialVersion: string;
  /** Instance names are `<namePrefix>-0001`, … zero-padded so that they sort (default `sim`). */
  namePrefix?: string;
  host?: string;
  /** 0 picks a free port (tests); the CLI defaults to 8090. */
  port?: number;
  /** The host written into agent URLs (default: `host`, or 127.0.0.1 when listening on all interfaces). */
  advertisedHost?: string;
  /**
   * Registers every instance in the registry's inventory when given; the fleet then also trusts every
   * signing key the registry holds for the component (ADR 0073).
   */
  registration?: FleetRegistration;
  latency?: LatencyProfile;
  faults?: FaultConfig;
  /** Seed of the generator behind fault probabilities and latency draws (default 1). */
  seed?: number;
  /** Where artifacts come from (default: downloaded over HTTP, once per URL). */
  artifactSource?: ArtifactSource;
  /**
   * ed25519 public keys (SPKI PEM or base64 raw) that signatures must verify against, besides the
   * registry's keys for the component when registering. With any key trusted, unsigned artifacts are refused.
   */
  trustedPublicKeys?: readonly string[];
  capacity?: AgentCapacity;
  /**
   * The keys agent requests must be signed with (ADR 0071): `masterKeyring(AGENT_AUTH_KEY)` stands in
   * for every tenant's agents, `tenantKeyring(tenantId, key)` for one tenant's, as a real agent would.
   */
  agentKeys: AgentKeyring;
  /**
   * When each instance last took a backup: default one hour before the fleet started (a fleet with
   * nightly backups, so the orchestrator's backup verification passes); null for "never", to make it fail.
   */
  lastBackupAt?: Date | null;
}

export interface InstanceView {
  name: string;
  instanceId: string;
  agentUrl: string;
  version: string;
  previousVersion: string | null;
  healthy: boolean;
  draining: boolean;
  upgrading: boolean;
  crashed: boolean;
  outOfService: boolean;
  pendingOperations: number;
  lastBackupAt: string | null;
  counters: SimulatedAgent['counters'];
  /** The newest fencing token the instance accepted; null before any (docs/agent-protocol.md, "Fencing"). */
  fencingToken: number | null;
  /** The fleet's log of the mutating calls the instance accepted, each with its fencing token. */
  appliedCalls: AppliedCall[];
  /** The trace context agent calls arrived with (the last 100), when the callers trace. */
  tracedCalls: TracedCall[];
}

export interface Fleet {
  /** http://host:port of the fleet's one server (admin API under /admin). */
  readonly baseUrl: string;
  readonly instances: readonly InstanceView[];
  agentUrl(name: string): string;
  instance(name: string): InstanceView;
  /** The agent itself, for tests that inspect or poke it directly. */
  agent(name: string): SimulatedAgent;
  setFaults(faults: FaultConfig): void;
  setLatency(latency: LatencyProfile): void;
  setTrustedPublicKeys(keys: readonly string[]): void;
  /**
   * Registers every instance in the registry's inventory (what `registration` in the options does at
   * start-up), after adding the registry's signing keys for the component to the trusted ones; for
   * callers that learn the version id only after the fleet is up.
   */
  register(registration: FleetRegistration): Promise<void>;
  /** Base URL of the fleet's demo artifact repository: `<baseUrl>/artifacts`. */
  readonly artifactBaseUrl: string;
  outOfServiceHistory(): OutOfServiceHistory;
  resetOutOfServiceHistory(): void;
  stop(): Promise<void>;
}

const DEFAULT_CAPACITY: AgentCapacity = { cpuPercentFree: 60, memoryMbFree: 4096, diskMbFree: 20_480 };

export function instanceName(prefix: string, index: number, total: number): string {
  return `${prefix}-${String(index + 1).padStart(Math.max(4, String(total).length), '0')}`;
}

/** Starts a simulated fleet: one HTTP server, N agents, optionally registered in the registry. */
export async function startFleet(options: FleetOptions): Promise<Fleet> {
  if (!Number.isInteger(options.instances) || options.instances < 0) {
    throw new Error(`instances must be a whole number >= 0, got ${options.instances}`);
  }
  let faults: FaultConfig = options.faults ?? {};
  let latency: LatencyProfile = options.latency ?? {};
  let trustedKeys: KeyObject[] = parsePublicKeys(options.trustedPublicKeys ?? []);
  const recorder = new OutOfServiceRecorder();
  let stopFleet: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (stopFleet = resolve));

  const env: AgentEnvironment = {
    faults: () => faults,
    latency: () => latency,
    random: seededRandom(options.seed ?? 1),
    artifacts: options.artifactSource ?? httpArtifactSource(),
    trustedKeys: () => trustedKeys,
    onStateChange: (agent) => recorder.update(agent.name, agent.outOfService),
    stopped,
  };

  const prefix = options.namePrefix ?? 'sim';
  const backup = options.lastBackupAt === undefined ? new Date(Date.now() - 3_600_000) : options.lastBackupAt;
  const lastBackupAt = backup === null ? null : backup.toISOString();
  const agents = new Map<string, SimulatedAgent>();
  for (let i = 0; i < options.instances; i += 1) {
    const name = instanceName(prefix, i, options.instances);
    const capacity = { ...(options.capacity ?? DEFAULT_CAPACITY) };
    const agent = new SimulatedAgent(name, options.initialVersion, randomUUID(), capacity, env);
    agent.lastBackupAt = lastBackupAt;
    agents.set(name, agent);
  }

  let baseUrl = '';
  const agentUrl = (name: string) => `${baseUrl}/i/${encodeURIComponent(name)}`;
  const describe = (agent: SimulatedAgent): InstanceView => ({
    name: agent.name,
    instanceId: agent.instanceId,
    agentUrl: agentUrl(agent.name),
    version: agent.version,
    previousVersion: agent.previousVersion,
    healthy: agent.healthy,
    draining: agent.draining,
    upgrading: agent.upgrading,
    crashed: agent.crashed,
    outOfService: agent.outOfService,
    pendingOperations: agent.pendingOperations,
    lastBackupAt: agent.lastBackupAt,
    counters: { ...agent.counters },
    fencingToken: agent.fencingToken,
    appliedCalls: agent.appliedCalls.map((call) => ({ ...call })),
    tracedCalls: agent.tracedCalls.map((call) => ({ ...call })),
  });
  const setFaults = (next: FaultConfig) => {
    faults = next;
    for (const agent of agents.values()) agent.resetFaultState();
  };
  const setLatency = (next: LatencyProfile) => {
    latency = next;
  };

  const server: Server = createServer(
    { keepAliveTimeout: 30_000 },
    fleetHttpHandler({
      agent: (name) => agents.get(name),
      agents: () => [...agents.values()],
      describe,
      faults: () => faults,
      setFaults,
      latency: () => latency,
      setLatency,
      outOfServiceHistory: () => recorder.history(),
      resetOutOfServiceHistory: () => recorder.reset(),
      agentKeys: options.agentKeys,
      nonces: new MemoryNonceStore(),
    }),
  );
  // Thousands of concurrent agent calls arrive from a few workers' connection pools.
  server.maxConnections = 20_000;
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const advertised = options.advertisedHost ?? (host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host);
  baseUrl = `http://${advertised.includes(':') ? `[${advertised}]` : advertised}:${port}`;

  const stop = async () => {
    stopFleet();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  };

  const register = async (registration: FleetRegistration): Promise<void> => {
    const registryKeys = await fetchComponentSigningKeys(
      registration.registryUrl,
      registration.componentId,
      registration.token,
    );
    trustedKeys = withKeys(trustedKeys, registryKeys);
    const client = new RegistryInventoryClient(registration.registryUrl, registration.token);
    await forEachConcurrently([...agents.values()], registration.concurrency ?? 16, async (agent) => {
      agent.instanceId = await client.register({
        tenantId: registration.tenantId,
        componentId: registration.componentId,
        versionId: registration.versionId,
        name: agent.name,
        agentUrl: agentUrl(agent.name),
        labels: { 'upshift.io/simulated': 'true', ...(registration.labels ?? {}) },
      });
    });
  };

  if (options.registration) {
    try {
      await register(options.registration);
    } catch (error) {
      await stop();
      throw error;
    }
  }

  const lookup = (name: string): SimulatedAgent => {
    const agent = agents.get(name);
    if (!agent) throw new Error(`no simulated instance is called ${name}`);
    return agent;
  };

  return {
    baseUrl,
    get instances() {
      return [...agents.values()].map(describe);
    },
    agentUrl,
    instance: (name) => describe(lookup(name)),
    agent: lookup,
    setFaults,
    setLatency,
    setTrustedPublicKeys: (keys) => {
      trustedKeys = parsePublicKeys(keys);
    },
    outOfServiceHistory: () => recorder.history(),
    resetOutOfServiceHistory: () => recorder.reset(),
    register,
    artifactBaseUrl: `${baseUrl}/artifacts`,
    stop,
  };
}
