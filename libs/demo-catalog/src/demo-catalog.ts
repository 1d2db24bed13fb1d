import { VersionChannel, VersionStatus } from '@upshift/contracts';

/**
 * A realistic catalog for demos and manual testing: an in-house gateway across three majors that
 * depends on Kafka and PostgreSQL, and the two dependencies themselves.
 *
 * What it exercises: the major-hop rule (1.x → 3.x needs 2.x), a mandatory waypoint (2.0.0 migrates
 * data, every path from 1.x stops there), dependency ranges that tighten in 3.x, a deprecated and a
 * yanked version, a beta, signed and unsigned components, and releases that cannot be downgraded to
 * (`downgradeAllowed: false` on the 1.x gateways and PostgreSQL 15, because the next major migrates
 * data one way).
 */
export interface SeedComponent {
  name: string;
  kind: string;
  description: string;
  /** Whether the seed registers its signing key for this component (PostgreSQL stays unsigned). */
  signed: boolean;
  versions: SeedVersion[];
}

export interface SeedVersion {
  version: string;
  channel: VersionChannel;
  /** Where the seed leaves it. */
  status: VersionStatus;
  releaseNotes: string;
  breaking?: boolean;
  requiresMigration?: boolean;
  mandatory?: boolean;
  downgradeAllowed?: boolean;
  dependencies?: Record<string, string>;
  supportedUntil?: string;
  yankReason?: string;
}

const { STABLE, BETA } = VersionChannel;
const { PUBLISHED, DEPRECATED, YANKED } = VersionStatus;

const GATEWAY_2_DEPENDENCIES = { kafka: '>=3.5.0 <4.0.0', postgresql: '>=15.0.0 <17.0.0' };
const GATEWAY_3_DEPENDENCIES = { kafka: '>=3.6.0 <5.0.0', postgresql: '>=16.0.0' };

export const DEMO_CATALOG: readonly SeedComponent[] = [
  {
    name: 'kafka',
    kind: 'message-broker',
    description: 'Apache Kafka brokers (KRaft mode) carrying the gateway event streams',
    signed: true,
    versions: [
      { version: '3.5.2', channel: STABLE, status: DEPRECATED, releaseNotes: 'Last 3.5 patch release.' },
      {
        version: '3.6.0',
        channel: STABLE,
        status: PUBLISHED,
        releaseNotes: 'Tiered storage (early access).',
      },
      { version: '3.7.1', channel: STABLE, status: PUBLISHED, releaseNotes: 'JBOD in KRaft mode.' },
      {
        version: '4.0.0',
        channel: STABLE,
        status: PUBLISHED,
        breaking: true,
        releaseNotes: 'ZooKeeper removed; KRaft only. Old message formats dropped.',
      },
    ],
  },
  {
    name: 'postgresql',
    kind: 'database',
    description: 'PostgreSQL clusters holding gateway routes and API keys',
    signed: false,
    versions: [
      {
        version: '15.6.0',
        channel: STABLE,
        status: PUBLISHED,
        // 16.x rewrites the data directory with pg_upgrade: nothing can be downgraded back to 15.
        downgradeAllowed: false,
        releaseNotes: 'PostgreSQL 15.6.',
      },
      {
        version: '16.1.0',
        channel: STABLE,
        status: PUBLISHED,
        requiresMigration: true,
        releaseNotes: 'Major upgrade through pg_upgrade; the data directory cannot go back to 15.',
      },
      { version: '16.2.0', channel: STABLE, status: PUBLISHED, releaseNotes: 'PostgreSQL 16.2.' },
    ],
  },
  {
    name: 'upshift-gateway',
    kind: 'service',
    description: 'Edge gateway in front of the tenant APIs',
    signed: true,
    versions: [
      {
        version: '1.0.0',
        channel: STABLE,
        // 2.0.0 migrates the routes into PostgreSQL for good: no downgrade back to 1.x.
        downgradeAllowed: false,
        status: DEPRECATED,
        supportedUntil: '2025-06-30',
        releaseNotes: 'First general availability.',
        dependencies: { postgresql: '>=15.0.0 <16.0.0' },
      },
      {
        version: '1.1.0',
        channel: STABLE,
        // 2.0.0 migrates the routes into PostgreSQL for good: no downgrade back to 1.x.
        downgradeAllowed: false,
        status: PUBLISHED,
        supportedUntil: '2025-12-31',
        releaseNotes: 'Rate limiting per API key.',
        dependencies: { postgresql: '>=15.0.0 <16.0.0' },
      },
      {
        version: '1.2.0',
        channel: STABLE,
        // 2.0.0 migrates the routes into PostgreSQL for good: no downgrade back to 1.x.
        downgradeAllowed: false,
        status: PUBLISHED,
        supportedUntil: '2026-06-30',
        releaseNotes: 'Last 1.x: request mirroring, bug fixes.',
        dependencies: { postgresql: '>=15.0.0 <17.0.0' },
      },
      {
        version: '2.0.0',
        channel: STABLE,
        status: PUBLISHED,
        breaking: true,
        requiresMigration: true,
        mandatory: true,
        releaseNotes:
          'Routes move from the config file to PostgreSQL; the migration runs on first start. Every upgrade from 1.x stops here.',
        dependencies: GATEWAY_2_DEPENDENCIES,
      },
      {
        version: '2.1.0',
        channel: STABLE,
        status: PUBLISHED,
        releaseNotes: 'Events published to Kafka.',
        dependencies: GATEWAY_2_DEPENDENCIES,
      },
      {
        version: '2.2.0',
        channel: STABLE,
        status: PUBLISHED,
        releaseNotes: 'mTLS to upstreams.',
        dependencies: GATEWAY_2_DEPENDENCIES,
      },
      {
        version: '2.2.1',
        channel: STABLE,
        status: YANKED,
        releaseNotes: 'Connection pool fix.',
        yankReason: 'Leaks upstream connections under load; use 2.2.2.',
        dependencies: GATEWAY_2_DEPENDENCIES,
      },
      {
        version: '2.2.2',
        channel: STABLE,
        status: PUBLISHED,
        releaseNotes: 'Connection pool fix, done right.',
        dependencies: GATEWAY_2_DEPENDENCIES,
      },
      {
        version: '3.0.0',
        channel: STABLE,
        status: PUBLISHED,
        breaking: true,
        releaseNotes: 'HTTP/3; plugin API v2 (v1 plugins must be ported).',
        dependencies: GATEWAY_3_DEPENDENCIES,
      },
      {
        version: '3.1.0',
        channel: STABLE,
        status: PUBLISHED,
        releaseNotes: 'OpenTelemetry tracing.',
        dependencies: GATEWAY_3_DEPENDENCIES,
      },
      {
        version: '3.1.1',
        channel: STABLE,
        status: PUBLISHED,
        releaseNotes: 'Fixes trace context propagation over HTTP/3.',
        dependencies: GATEWAY_3_DEPENDENCIES,
      },
      {
        version: '3.2.0-beta.1',
        channel: BETA,
        status: PUBLISHED,
        releaseNotes: 'Preview: WebAssembly filters.',
        dependencies: { ...GATEWAY_3_DEPENDENCIES, kafka: '>=3.7.0 <5.0.0' },
      },
    ],
  },
];
