import type { StartedNetwork, StartedTestContainer } from 'testcontainers';
import { mintToken, type Role } from '@upshift/http';
import { UpshiftClient } from './upshift-client';

/** The simulated fleet started by UpshiftContainer.withFleet. */
export interface UpshiftFleet {
  instances: number;
  tenantId: string;
  /** Its component in the demo catalog, which the fleet-sim container loaded. */
  component: string;
  initialVersion: string;
}

export interface StartedUpshiftParts {
  baseUrl: string;
  registryUrl: string;
  adminToken: string;
  operatorToken: string;
  tenantId: string;
  kafkaBrokers: string[];
  jwtSecret: string;
  fleet: UpshiftFleet | null;
  containers: {
    broker: StartedTestContainer;
    registry: StartedTestContainer;
    orchestrator: StartedTestContainer;
  };
  allContainers: StartedTestContainer[];
  network: StartedNetwork;
}

/**
 * A running Upshift: where to reach it from the host, ready tokens, and the REST helpers of
 * UpshiftClient called with the operator token of the fleet's tenant.
 */
export class StartedUpshift extends UpshiftClient {
  /** The registry's own port (the base URL proxies its API; this is for its /health and /metrics). */
  readonly registryUrl: string;
  /** Tenants `*`, role admin: every tenant, catalog changes included. */
  readonly adminToken: string;
  /** Role operator for `tenantId` alone: what a tenant's automation holds. */
  readonly operatorToken: string;
  /** The fleet's tenant (550e8400 unless withFleet said otherwise). */
  readonly tenantId: string;
  /** The broker's host listener, e.g. `['localhost:40123']`: give it to kafkajs as `brokers`. */
  readonly kafkaBrokers: string[];
  readonly fleet: UpshiftFleet | null;
  private readonly parts: StartedUpshiftParts;

  constructor(parts: StartedUpshiftParts) {
    super(parts.baseUrl, parts.operatorToken, parts.tenantId);
    this.registryUrl = parts.registryUrl;
    this.adminToken = parts.adminToken;
    this.operatorToken = parts.operatorToken;
    this.tenantId = parts.tenantId;
    this.kafkaBrokers = parts.kafkaBrokers;
    this.fleet = parts.fleet;
    this.parts = parts;
  }

  /** The broker's bootstrap address from the host, `host:port`. */
  get kafkaBootstrap(): string {
    return this.kafkaBrokers.join(',');
  }

  /** Another token signed with this stack's secret (`npm run token`'s minting, libs/http). */
  mintToken(sub: string, tenants: string[], roles: Role[], ttlSeconds = 3600): Promise<string> {
    return mintToken({ secret: this.parts.jwtSecret, sub, tenants, roles, ttlSeconds });
  }

  /**
   * A ROLLING upgrade of the whole fleet from its initial version to `toVersion` (the body of
   * POST /tenants/:tenantId/upgrades, docs/api-contract.md); `overrides` replace any field.
   */
  async fleetUpgradeBody(
    toVersion: string,
    overrides: Record<string, unknown> = {},
  ): Promise<Record<string, unknown>> {
    const fleet = this.fleet;
    if (fleet === null) throw new Error('no fleet: start with withFleet(n) to have one and the demo catalog');
    const [componentId, fromVersionId, toVersionId] = await Promise.all([
      this.componentId(fleet.component),
      this.versionId(fleet.component, fleet.initialVersion),
      this.versionId(fleet.component, toVersion),
    ]);
    return {
      componentId,
      fromVersionId,
      toVersionId,
      strategy: 'ROLLING',
      totalInstances: fleet.instances,
      batchDelaySeconds: 1,
      healthCheckIntervalSeconds: 1,
      autoRollbackEnabled: true,
      installedComponents: { kafka: '3.7.0', postgresql: '15.4.0' },
      initiatedBy: 'testcontainers@example.com',
      ...overrides,
    };
  }

  /** The last lines a service wrote (`broker`, `registry`, `orchestrator`), for a failing test's message. */
  async logs(service: keyof StartedUpshiftParts['containers'], lines = 100): Promise<string> {
    const stream = await this.parts.containers[service].logs({ tail: lines });
    return new Promise((resolve, reject) => {
      let text = '';
      stream.on('data', (chunk: Buffer | string) => (text += chunk.toString()));
      stream.on('end', () => resolve(text));
      stream.on('error', reject);
    });
  }

  /** Stops every container and removes the network (containers are removed on stop). */
  stop(): Promise<void> {
    return stopAll(this.parts.allContainers, this.parts.network);
  }
}

/** Stops containers newest first, then removes the network; tries them all, then throws the failures. */
export async function stopAll(containers: StartedTestContainer[], network: StartedNetwork): Promise<void> {
  const failures: unknown[] = [];
  for (const container of [...containers].reverse())
    await container.stop({ timeout: 10_000 }).catch((error: unknown) => failures.push(error));
  await network.stop().catch((error: unknown) => failures.push(error));
  if (failures.length > 0)
    throw new AggregateError(failures, `stopping Upshift: ${failures.length} failures`);
}
