import { randomBytes } from 'crypto';
import { readFileSync } from 'fs';
import * as path from 'path';
import type { Readable } from 'stream';
import {
  GenericContainer,
  Network,
  Wait,
  getContainerRuntimeClient,
  type StartedTestContainer,
} from 'testcontainers';
import { mintToken } from '@upshift/http';
import { freeHostPort } from './free-port';
import { StartedUpshift, stopAll, type UpshiftFleet } from './started-upshift';

/** Upshift's version (the checkout's package.json): the images' tag unless UPSHIFT_TAG says otherwise. */
function upshiftVersion(): string {
  const manifest = JSON.parse(readFileSync(path.join(__dirname, '..', '..', '..', 'package.json'), 'utf8'));
  return String(manifest.version);
}

/** The services' ports inside the network, as deploy/Dockerfile and docker-compose.yml set them. */
const PORTS = {
  broker: 9092,
  brokerHost: 9094,
  registry: 8085,
  orchestrator: 8084,
  worker: 8087,
  fleet: 8090,
};

export interface FleetOptions {
  /** The tenant the fleet is registered for (default 550e8400, the demo's). */
  tenantId?: string;
  /** A component of the demo catalog (default upshift-gateway). */
  component?: string;
  /** The version every instance starts at (default 2.1.0). */
  initialVersion?: string;
}

/**
 * Upshift for a user's own tests, on a Docker engine, in one call:
 *
 *   const upshift = await new UpshiftContainer().withFleet(20).start();
 *
 * One Docker network holding PostgreSQL, Redis, the embedded Kafka-compatible broker, the registry, the
 * orchestrator, the workers and (withFleet) a simulated fleet that loads the demo catalog and registers
 * itself. The wiring is docker-compose.yml's (README "Deploy"); the images are deploy/Dockerfile's.
 * See README "Testing against Upshift with testcontainers" and
 * docs/adr/0090-testcontainers-module.md.
 */
export class UpshiftContainer {
  private tag = process.env['UPSHIFT_TAG'] || upshiftVersion();
  private imagePrefix = 'upshift/';
  private postgresImage = 'postgres:15';
  private redisImage = 'redis:7';
  private workers = 1;
  private fleet: (Required<FleetOptions> & { instances: number }) | null = null;
  private logLevel = 'warn';
  private startupTimeoutMs = 180_000;

  /** Image tag of the upshift/* images (default: UPSHIFT_TAG, else the package's version). */
  withTag(tag: string): this {
    this.tag = tag;
    return this;
  }

  /** Where the images live, e.g. `registry.example.com/upshift/` (default `upshift/`). */
  withImagePrefix(prefix: string): this {
    this.imagePrefix = prefix;
    return this;
  }

  withPostgresImage(image: string): this {
    this.postgresImage = image;
    return this;
  }

  withRedisImage(image: string): this {
    this.redisImage = image;
    return this;
  }

  /** Worker containers (default 1; they share the command topic's partitions). */
  withWorkers(count: number): this {
    if (!Number.isInteger(count) || count < 1)
      throw new Error(`withWorkers needs a count of at least 1, got ${count}`);
    this.workers = count;
    return this;
  }

  /**
   * A simulated fleet of `instances` agents (apps/fleet-sim), registered for the tenant at the initial
   * version after the container loads the demo catalog into the registry. Without it the catalog is empty.
   */
  withFleet(instances: number, options: FleetOptions = {}): this {
    if (!Number.isInteger(instances) || instances < 1)
      throw new Error(`withFleet needs at least 1 instance, got ${instances}`);
    this.fleet = {
      instances,
      tenantId: options.tenantId ?? '550e8400',
      component: options.component ?? 'upshift-gateway',
      initialVersion: options.initialVersion ?? '2.1.0',
    };
    return this;
  }

  /** LOG_LEVEL of every service (default warn); read them with `docker logs` or StartedUpshift.logs. */
  withLogLevel(level: string): this {
    this.logLevel = level;
    return this;
  }

  /** How long each container may take to become ready (default 3 minutes). */
  withStartupTimeout(ms: number): this {
    this.startupTimeoutMs = ms;
    return this;
  }

  async start(): Promise<StartedUpshift> {
    const secret = randomBytes(32).toString('hex');
    const env = {
      KAFKA_BROKERS: `broker:${PORTS.broker}`,
      AUTH_JWT_SECRET: secret,
      AGENT_AUTH_KEY: randomBytes(32).toString('hex'),
      LOG_LEVEL: this.logLevel,
    };
    const databaseUrl = 'postgres://postgres:upshift@postgres:5432/upshift';
    const network = await new Network().start();
    const started: StartedTestContainer[] = [];
    const run = async (name: string, container: GenericContainer): Promise<StartedTestContainer> => {
      // A container that never becomes ready fails the start with what it printed: the wait
      // strategy's own message ("URL … not accessible") does not say why.
      const tail = new LogTail(40);
      let running: StartedTestContainer;
      try {
        running = await container
          .withNetwork(network)
          .withStartupTimeout(this.startupTimeoutMs)
          .withLogConsumer((stream) => tail.follow(stream))
          .start();
      } catch (error) {
        throw new Error(
          `${name} did not start: ${(error as Error).message}\n--- last lines of its log ---\n${tail.text()}`,
          { cause: error },
        );
      }
      started.push(running);
      return running;
    };
    try {
      // The broker's host listener advertises host:port to clients outside the network, so both are
      // known before it starts (the mapped port is fixed, not random).
      const runtimeHost = (await getContainerRuntimeClient()).info.containerRuntime.host;
      const kafkaHostPort = await freeHostPort();
      const [broker] = await startedTogether([
        run(
          'broker',
          new GenericContainer(this.image('kafka-broker'))
            .withNetworkAliases('broker')
            .withCommand([
              'node',
              'dist/libs/kafka-broker/src/cli.js',
              '--host=0.0.0.0',
              `--port=${PORTS.broker}`,
              '--advertised-host=broker',
              `--extra-listener=0.0.0.0:${PORTS.brokerHost}=${runtimeHost}:${kafkaHostPort}`,
              '--data-dir=/var/lib/upshift/kafka',
            ])
            .withExposedPorts({ container: PORTS.brokerHost, host: kafkaHostPort })
            .withWaitStrategy(Wait.forListeningPorts()),
        ),
        run(
          'postgres',
          new GenericContainer(this.postgresImage)
            .withNetworkAliases('postgres')
            .withEnvironment({
              POSTGRES_USER: 'postgres',
              POSTGRES_PASSWORD: 'upshift',
              POSTGRES_DB: 'upshift',
            })
            .withHealthCheck({
              test: ['CMD-SHELL', 'pg_isready -h 127.0.0.1 -U postgres -d upshift'],
              interval: 1000,
              timeout: 3000,
              retries: 60,
            })
            .withWaitStrategy(Wait.forHealthCheck()),
        ),
        run(
          'redis',
          new GenericContainer(this.redisImage)
            .withNetworkAliases('redis')
            .withHealthCheck({
              test: ['CMD', 'redis-cli', 'ping'],
              interval: 1000,
              timeout: 3000,
              retries: 60,
            })
            .withWaitStrategy(Wait.forHealthCheck()),
        ),
      ]);

      // The registry migrates the database the orchestrator shares; the orchestrator needs the registry.
      const registry = await run(
        'registry',
        this.service('registry', PORTS.registry, '/health/ready').withEnvironment({
          ...env,
          PORT: String(PORTS.registry),
          DATABASE_URL: databaseUrl,
        }),
      );
      const registryUrl = `http://registry:${PORTS.registry}`;
      const workers = Array.from({ length: this.workers }, (_, i) =>
        run(
          `worker-${i + 1}`,
          this.service('worker', PORTS.worker, '/health/ready')
            .withNetworkAliases(`worker-${i + 1}`)
            .withEnvironment({ ...env, WORKER_ID: `worker-${i + 1}`, REDIS_URL: 'redis://redis:6379' }),
        ),
      );
      const fleet = this.fleet;
      const [orchestrator] = await startedTogether([
        run(
          'orchestrator',
          this.service('orchestrator', PORTS.orchestrator, '/health/ready').withEnvironment({
            ...env,
            PORT: String(PORTS.orchestrator),
            DATABASE_URL: databaseUrl,
            REDIS_URL: 'redis://redis:6379',
            REGISTRY_URL: registryUrl,
          }),
        ),
        ...workers,
        ...(fleet === null
          ? []
          : [
              run(
                'fleet-sim',
                // deploy/fleet-sim-compose.sh loads the demo catalog (artifacts served by this fleet),
                // then registers the fleet; /admin/instances answers once it has.
                this.service('fleet-sim', PORTS.fleet, '/admin/instances')
                  .withCommand(['sh', 'deploy/fleet-sim-compose.sh'])
                  .withEnvironment({
                    ...env,
                    REGISTRY_URL: registryUrl,
                    REGISTRY_SEED_KEY_FILE: '/var/lib/upshift/seed/artifact-signing.key',
                    // The image binds 0.0.0.0; the agent URLs name the container in the network.
                    FLEET_ADVERTISED_HOST: 'fleet-sim',
                    FLEET_PORT: String(PORTS.fleet),
                    FLEET_ADVERTISED_URL: `http://fleet-sim:${PORTS.fleet}`,
                    FLEET_INSTANCES: String(fleet.instances),
                    FLEET_TENANT_ID: fleet.tenantId,
                    FLEET_COMPONENT: fleet.component,
                    FLEET_INITIAL_VERSION: fleet.initialVersion,
                  }),
              ),
            ]),
      ]);

      const tenantId = fleet?.tenantId ?? '550e8400';
      const token = (sub: string, tenants: string[], role: 'admin' | 'operator') =>
        mintToken({ secret, sub, tenants, roles: [role], ttlSeconds: 24 * 3600 });
      const upshiftFleet: UpshiftFleet | null =
        fleet === null
          ? null
          : {
              instances: fleet.instances,
              tenantId: fleet.tenantId,
              component: fleet.component,
              initialVersion: fleet.initialVersion,
            };
      return new StartedUpshift({
        baseUrl: `http://${orchestrator.getHost()}:${orchestrator.getMappedPort(PORTS.orchestrator)}/api/v1/registry`,
        registryUrl: `http://${registry.getHost()}:${registry.getMappedPort(PORTS.registry)}`,
        adminToken: await token('testcontainers-admin', ['*'], 'admin'),
        operatorToken: await token('testcontainers-operator', [tenantId], 'operator'),
        tenantId,
        kafkaBrokers: [`${runtimeHost}:${kafkaHostPort}`],
        jwtSecret: secret,
        fleet: upshiftFleet,
        containers: { broker, registry, orchestrator },
        allContainers: started,
        network,
      });
    } catch (error) {
      // The start's own error is what the caller needs; a failure to clean up comes second.
      await stopAll(started, network).catch(() => undefined);
      throw error;
    }
  }

  private image(service: string): string {
    return `${this.imagePrefix}${service}:${this.tag}`;
  }

  /**
   * An Upshift service, reachable in the network by its name, ready once `path` answers 2xx on `port`
   * (the images' HEALTHCHECK endpoints). A container that exits fails the start at once, with its logs.
   */
  private service(name: string, port: number, path: string): GenericContainer {
    return new GenericContainer(this.image(name))
      .withNetworkAliases(name)
      .withExposedPorts(port)
      .withWaitStrategy(
        Wait.forHttp(path, port, { abortOnContainerExit: true }).forStatusCodeMatching(
          (status) => status >= 200 && status < 300,
        ),
      );
  }
}

/** The last lines a container printed (stdout and stderr), kept while it starts. */
class LogTail {
  private readonly lines: string[] = [];
  private partial = '';

  constructor(private readonly limit: number) {}

  follow(stream: Readable): void {
    stream.on('data', (chunk: Buffer | string) => this.add(String(chunk)));
    // A log stream that breaks must not fail the start; the tail is only for the error message.
    stream.on('error', () => undefined);
  }

  text(): string {
    const all = this.partial === '' ? this.lines : [...this.lines, this.partial];
    return all.length === 0 ? '(nothing)' : all.join('\n');
  }

  private add(text: string): void {
    const pieces = (this.partial + text).split('\n');
    this.partial = pieces.pop() ?? '';
    this.lines.push(...pieces);
    if (this.lines.length > this.limit) this.lines.splice(0, this.lines.length - this.limit);
  }
}

/**
 * Like Promise.all, but settles only when every start has: a failed start must not leave another
 * container starting after the cleanup has run (it would outlive the test, with no reaper to remove it).
 */
async function startedTogether(starts: Promise<StartedTestContainer>[]): Promise<StartedTestContainer[]> {
  const results = await Promise.allSettled(starts);
  const failed = results.find((result) => result.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
  return results.map((result) => (result as PromiseFulfilledResult<StartedTestContainer>).value);
}
