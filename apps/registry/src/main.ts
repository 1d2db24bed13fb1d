import 'reflect-metadata';
import { INestApplication, RequestMethod } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { AddressInfo } from 'net';
import type { DestinationStream } from 'pino';
import { DataSource } from 'typeorm';
import { RegistryAppModule } from './app.module';
import { installAuditLog, ProblemDetailsFilter, useJsonBodiesOnly } from '@upshift/http';
import { httpRequestMetrics, metricsMiddleware } from '@upshift/metrics';
import { httpServerSpans, startTracing } from '@upshift/tracing';
import { registryProblem } from './common/registry-problems';
import { createRegistryValidationPipe } from './common/request-validation';
import { loadRegistryConfig, RegistryConfig, RegistryConfigOverrides } from './config';
import { ensureDatabaseExists } from './database/ensure-database';
import { runRegistryMigrations } from './database/run-migrations';
import { RegistryMetrics } from './metrics/registry-metrics';

export const API_PREFIX = 'api/v1/registry';

/** POSTs that change nothing: the audit log records them only when refused. */
const REGISTRY_READ_ONLY_ROUTES = [
  { method: 'POST', path: /^\/api\/v1\/registry\/components\/[^/]+\/upgrade-path\/validate\/?$/ },
];

export interface RegistryApp {
  app: INestApplication;
  config: RegistryConfig;
  /** Base URL, e.g. http://127.0.0.1:8085 (API under `${url}/api/v1/registry`). */
  url: string;
  port: number;
  /** Migrations applied by this start (empty when the schema was up to date). */
  appliedMigrations: string[];
  close(): Promise<void>;
}

/**
 * Builds, migrates and starts the registry. Tests and the local-stack script call this with their
 * own settings (`{ PORT: 0, DATABASE_URL, KAFKA_BROKERS }`); running this file starts it from the
 * environment. `logDestination` redirects the JSON logs (tests read them; default stdout).
 */
export async function createRegistryApp(
  overrides: RegistryConfigOverrides = {},
  options: { logDestination?: DestinationStream } = {},
): Promise<RegistryApp> {
  const config = loadRegistryConfig(process.env, overrides);
  await ensureDatabaseExists(config.DATABASE_URL);

  const app = await NestFactory.create<NestExpressApplication>(
    RegistryAppModule.forRoot(config, options.logDestination),
    {
      bufferLogs: true,
    },
  );
  app.useLogger(app.get(Logger));
  // First of all: /metrics answers without a user's token (METRICS_TOKEN if set), is never audited,
  // rate-limited or logged, and every other request is timed (docs/adr/0086-metrics-endpoints.md).
  const metrics = app.get(RegistryMetrics);
  app.use(metricsMiddleware(metrics.registry, config.METRICS_TOKEN));
  // A span per request when tracing is on (docs/adr/0091-opentelemetry-tracing.md), before the body parser.
  app.use(httpServerSpans());
  app.use(httpRequestMetrics(metrics.registry));
  // Before body parsing and routing, so that every request is seen, refused ones too (ADR 0075).
  installAuditLog(app, { service: 'registry', readOnly: REGISTRY_READ_ONLY_ROUTES });
  // 415 for a body that is not JSON, before any parser reads it (docs/api-contract.md, "Requests").
  useJsonBodiesOnly(app);
  app.setGlobalPrefix(API_PREFIX, {
    exclude: [
      { path: 'health/live', method: RequestMethod.GET },
      { path: 'health/ready', method: RequestMethod.GET },
    ],
  });
  app.useGlobalPipes(createRegistryValidationPipe());
  app.useGlobalFilters(new ProblemDetailsFilter('registry', registryProblem));
  app.enableShutdownHooks();
  setUpOpenApi(app);

  let applied: string[];
  try {
    // Before listening (and before the outbox relay starts on bootstrap): the schema must be current.
    ({ applied } = await runRegistryMigrations(app.get(DataSource)));
    await app.listen(config.PORT);
  } catch (error) {
    await app.close().catch(() => undefined);
    throw error;
  }
  const port = (app.getHttpServer().address() as AddressInfo).port;
  app.get(Logger).log({ port, appliedMigrations: applied }, 'registry listening');
  return {
    app,
    config,
    url: `http://127.0.0.1:${port}`,
    port,
    appliedMigrations: applied,
    close: () => app.close(),
  };
}

function setUpOpenApi(app: INestApplication): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Upshift registry')
      .setDescription(
        'Components, versions, channels, signed artifacts, tenant inventory and upgrade-path validation. ' +
          'Errors are application/problem+json (RFC 9457).',
      )
      .setVersion('1')
      .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
      .addSecurityRequirements('bearer')
      .build(),
  );
  SwaggerModule.setup('api/docs', app, document, { jsonDocumentUrl: 'api/docs-json' });
}

if (require.main === module) {
  // First: off unless OTEL_* asks for it (docs/adr/0091-opentelemetry-tracing.md).
  startTracing('upshift-registry');
  createRegistryApp().catch((error: unknown) => {
    // The Nest logger may not exist yet (invalid config, database down): log one JSON line ourselves.
    console.error(
      JSON.stringify({
        level: 'fatal',
        msg: 'registry failed to start',
        error: error instanceof Error ? error.message : String(error),
      }),
    );
    process.exit(1);
  });
}
