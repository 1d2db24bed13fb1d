import { DynamicModule, Logger, Module, OnApplicationShutdown, RequestMethod } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { LoggerModule } from 'nestjs-pino';
import { ApiSecurityModule, serviceConfigModule } from '@upshift/http';
import type { DestinationStream } from 'pino';
import { AuditModule } from './audit/audit.module';
import { ComponentsModule } from './components/components.module';
import { REGISTRY_CONFIG, RegistryConfig } from './config';
import { registryDataSourceOptions } from './database/registry-data-source';
import { RegistryEventsModule } from './events/registry-events.module';
import { HealthModule } from './health/health.module';
import { InstancesModule } from './instances/instances.module';
import { RegistryMetrics } from './metrics/registry-metrics';
import { SigningKeysModule } from './signing-keys/signing-keys.module';
import { UpgradePathsModule } from './upgrade-paths/upgrade-paths.module';
import { VersionsModule } from './versions/versions.module';

/** Request headers that carry credentials never reach the logs. */
export const REDACTED_LOG_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["proxy-authorization"]',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
];

@Module({})
export class RegistryAppModule implements OnApplicationShutdown {
  private readonly logger = new Logger('RegistryApp');

  /** Runs after the HTTP server stopped accepting requests and in-flight ones finished. */
  onApplicationShutdown(signal?: string): void {
    this.logger.log({ signal: signal ?? null }, 'registry stopped');
  }

  /** The whole service, configured from an already validated RegistryConfig. */
  static forRoot(config: RegistryConfig, logDestination?: DestinationStream): DynamicModule {
    return {
      module: RegistryAppModule,
      imports: [
        // Validated before Nest starts (loadRegistryConfig): ConfigService and REGISTRY_CONFIG serve it.
        serviceConfigModule(REGISTRY_CONFIG, config),
        LoggerModule.forRoot({
          // Named wildcard: path-to-regexp 8 (Express 5) no longer reads a bare "*".
          forRoutes: [{ path: '{*path}', method: RequestMethod.ALL }],
          pinoHttp: [
            {
              level: config.LOG_LEVEL,
              name: config.SERVICE_NAME,
              redact: { paths: REDACTED_LOG_PATHS, censor: '[redacted]' },
              // Request logs only when debugging, as in the orchestrator: at info they drown everything
              // else (`npm run up` seeds hundreds of requests); probes every few seconds never.
              autoLogging:
                config.LOG_LEVEL === 'debug' || config.LOG_LEVEL === 'trace'
                  ? { ignore: (request) => request.url?.startsWith('/health/') ?? false }
                  : false,
            },
            logDestination ?? process.stdout,
          ],
        }),
        ApiSecurityModule.forRoot(config),
        TypeOrmModule.forRoot(registryDataSourceOptions(config.DATABASE_URL)),
        HealthModule,
        RegistryEventsModule.forRoot(config, logDestination),
        ComponentsModule,
        SigningKeysModule,
        VersionsModule,
        UpgradePathsModule,
        InstancesModule,
        AuditModule,
      ],
      providers: [RegistryMetrics],
    };
  }
}
