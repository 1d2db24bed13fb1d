import 'reflect-metadata';
import { resolve } from 'path';
import { ValidationPipe } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { flattenValidationErrors } from '@upshift/contracts';
import { AppModule } from './app.module';
import { withContractSchemas } from './upgrades/openapi-schemas';
import { badRequest, installAuditLog, ProblemDetailsFilter, useJsonBodiesOnly } from '@upshift/http';
import { httpRequestMetrics, metricsMiddleware } from '@upshift/metrics';
import { httpServerSpans, startTracing } from '@upshift/tracing';
import { loadConfig } from './config';
import type { OrchestratorConfig } from './config';
import { API_PREFIX, registryProxy } from './proxy/registry-proxy';
import { mergeOpenApi, RegistryOpenApi } from './proxy/merged-openapi';
import { EngineLifecycle } from './engine/engine-lifecycle';
import { ResultsConsumer } from './engine/results-consumer';
import { OrchestratorMetrics } from './metrics/orchestrator-metrics';
import { dashboardAssets } from './dashboard/dashboard-assets';

export interface OrchestratorApp {
  app: INestApplication;
  /** Base URL it listens on, e.g. http://127.0.0.1:8084. */
  url: string;
  config: OrchestratorConfig;
  close(): Promise<void>;
}

/**
 * Builds and starts the orchestrator: validated config (environment plus `overrides`), migrations
 * under an advisory lock, the engine, REST under /api/v1/registry, the registry proxy, OpenAPI at
 * /api/docs. Tests call it with port 0 and their own database, Redis prefix and broker.
 */
export async function createOrchestratorApp(
  overrides: Partial<OrchestratorConfig> = {},
): Promise<OrchestratorApp> {
  const config = loadConfig(overrides);
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), {
    bufferLogs: true,
  });
  const logger = app.get(Logger);
  app.useLogger(logger);
  // First of all: /metrics answers without a user's token (METRICS_TOKEN if set), is never proxied,
  // audited, rate-limited or logged, and every other request is timed (docs/adr/0086-metrics-endpoints.md).
  const metrics = app.get(OrchestratorMetrics);
  const engine = app.get(EngineLifecycle);
  const results = app.get(ResultsConsumer);
  metrics.attachEngine({ relay: () => engine.outboxRelay, results: () => results.counters });
  app.use(metricsMiddleware(metrics.registry, config.METRICS_TOKEN));
  // A span per request when tracing is on (docs/adr/0091-opentelemetry-tracing.md), before the body parser.
  app.use(httpServerSpans());
  app.use(httpRequestMetrics(metrics.registry));
  // The dashboard's static files at / (ADR 0089): only /, /index.html and /assets/*, so no API path is shadowed.
  app.use(dashboardAssets(resolve(config.DASHBOARD_DIR)));
  if (config.REGISTRY_PROXY_ENABLED) {
    // Registered before Nest's body parser, so proxied bodies stream through untouched.
    app.use(
      registryProxy(config.REGISTRY_URL, (error, path) =>
        logger.warn({ err: error, path }, 'registry proxy could not reach the registry'),
      ),
    );
  }
  // After the proxy (the registry audits what it answers) and before body parsing and routing (ADR 0075).
  installAuditLog(app, { service: 'orchestrator' });
  // 415 for a body that is not JSON, before any parser reads it (docs/api-contract.md, "Requests").
  useJsonBodiesOnly(app);
  app.setGlobalPrefix(API_PREFIX.slice(1), { exclude: ['health/live', 'health/ready'] });
  app.useGlobalPipes(
    new ValidationPipe({
      transform: true,
      whitelist: true,
      forbidNonWhitelisted: true,
      exceptionFactory: (errors) => badRequest(flattenValidationErrors(errors)),
    }),
  );
  app.useGlobalFilters(new ProblemDetailsFilter('orchestrator'));
  const document = withContractSchemas(
    SwaggerModule.createDocument(
      app,
      new DocumentBuilder()
        .setTitle('Upshift orchestrator')
        .setDescription(
          'Upgrade executions (docs/api-contract.md): create, start, promote, pause, resume, cancel, ' +
            'roll back; and, through the same base URL, the registry. Errors are application/problem+json.',
        )
        .setVersion('1.0')
        .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
        .addSecurityRequirements('bearer')
        .build(),
    ),
  );
  // One document for the one base URL (ADR 0049): the registry's paths are fetched from it and merged.
  const registryDocs = new RegistryOpenApi(config.REGISTRY_URL, {
    onError: (error) => logger.warn({ err: error }, 'could not fetch the registry OpenAPI document'),
  });
  SwaggerModule.setup('api/docs', app, document, {
    jsonDocumentUrl: 'api/docs-json',
    patchDocumentOnRequest: async (_req, _res, own) => {
      await registryDocs.refresh();
      return mergeOpenApi(own, registryDocs.document, registryDocs.error);
    },
  });
  await app.listen(config.PORT, config.HOST ?? '0.0.0.0');
  const address = app.getHttpServer().address() as { port: number } | string | null;
  const port = typeof address === 'object' && address !== null ? address.port : config.PORT;
  const url = `http://127.0.0.1:${port}`;
  logger.log({ url, docs: `${url}/api/docs`, registry: config.REGISTRY_URL }, 'orchestrator listening');
  return { app, url, config, close: () => app.close() };
}

if (require.main === module) {
  // First: off unless OTEL_* asks for it (docs/adr/0091-opentelemetry-tracing.md).
  const tracing = startTracing('upshift-orchestrator');
  createOrchestratorApp()
    .then(({ app }) => {
      let closing = false;
      const shutdown = (signal: string) => {
        if (closing) return;
        closing = true;
        console.log(JSON.stringify({ level: 30, msg: `received ${signal}, shutting down` }));
        const force = setTimeout(() => process.exit(1), 15_000);
        force.unref();
        app
          .close()
          .then(() => tracing.shutdown())
          .then(() => process.exit(0))
          .catch((error: unknown) => {
            console.error(error);
            process.exit(1);
          });
      };
      process.on('SIGINT', () => shutdown('SIGINT'));
      process.on('SIGTERM', () => shutdown('SIGTERM'));
    })
    .catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
}
