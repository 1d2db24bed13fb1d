import { Global, Module, RequestMethod } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { TypeOrmModule } from '@nestjs/typeorm';
import { LoggerModule } from 'nestjs-pino';
import { ApiSecurityModule, serviceConfigModule } from '@upshift/http';
import { AgentClient } from './agent/agent.client';
import { AuditModule } from './audit/audit.module';
import { ORCHESTRATOR_CONFIG, OrchestratorConfig } from './config';
import { dataSourceOptions } from './database/data-source';
import { Migrator } from './database/migrator';
import { CanaryMonitor } from './engine/canary-monitor';
import { EventsModule } from './events/events.module';
import { CanaryWakeup } from './engine/canary-wakeup';
import { EngineLifecycle } from './engine/engine-lifecycle';
import { ExecutionEngine } from './engine/execution-engine';
import { ExecutionStore } from './engine/execution.store';
import { KafkaClients } from './engine/kafka-clients';
import { PostCommitEffects } from './engine/post-commit-effects';
import { RecoverySweeper } from './engine/recovery-sweeper';
import { ResultsConsumer } from './engine/results-consumer';
import { TimerQueue } from './engine/timer-queue';
import { RegistrySync } from './engine/registry-sync';
import { TimerWorker } from './engine/timer-worker';
import { ValidationRunner } from './engine/validation-runner';
import { HealthController } from './health/health.controller';
import { OrchestratorMetrics } from './metrics/orchestrator-metrics';
import { RegistryClient } from './registry/registry.client';
import { UpgradesController } from './upgrades/upgrades.controller';
import { UpgradesRepository } from './upgrades/upgrades.repository';
import { UpgradesService } from './upgrades/upgrades.service';

/** Config and outbound clients every feature uses. */
@Global()
@Module({})
class CoreModule {
  static forRoot(config: OrchestratorConfig): DynamicModule {
    return {
      module: CoreModule,
      imports: [serviceConfigModule(ORCHESTRATOR_CONFIG, config)],
      providers: [RegistryClient, AgentClient, KafkaClients, TimerQueue, OrchestratorMetrics],
      exports: [RegistryClient, AgentClient, KafkaClients, TimerQueue, OrchestratorMetrics],
    };
  }
}

/** The execution engine: store, domain application, results consumer, timers, canary monitor, recovery. */
@Module({
  providers: [
    Migrator,
    CanaryWakeup,
    PostCommitEffects,
    ExecutionStore,
    ExecutionEngine,
    ValidationRunner,
    ResultsConsumer,
    TimerWorker,
    RegistrySync,
    CanaryMonitor,
    RecoverySweeper,
    EngineLifecycle,
  ],
  exports: [ExecutionStore, ExecutionEngine, ResultsConsumer, EngineLifecycle],
})
export class EngineModule {}

/** The public REST API (docs/api-contract.md). */
@Module({
  imports: [EngineModule],
  controllers: [UpgradesController],
  providers: [UpgradesService, UpgradesRepository],
})
export class UpgradesModule {}

@Module({
  imports: [EngineModule],
  controllers: [HealthController],
})
export class HealthModule {}

@Module({})
export class AppModule {
  static forRoot(config: OrchestratorConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        CoreModule.forRoot(config),
        LoggerModule.forRoot({
          // Named wildcard: path-to-regexp 8 (Express 5) no longer reads a bare "*" (nestjs-pino's default).
          forRoutes: [{ path: '{*path}', method: RequestMethod.ALL }],
          pinoHttp: {
            level: config.LOG_LEVEL,
            name: 'orchestrator',
            // Request logs only when debugging: at fleet scale they drown the state-change logs.
            autoLogging: config.LOG_LEVEL === 'debug' || config.LOG_LEVEL === 'trace',
            redact: ['req.headers.authorization', 'req.headers.cookie'],
          },
        }),
        ApiSecurityModule.forRoot(config),
        TypeOrmModule.forRoot(dataSourceOptions(config.DATABASE_URL)),
        ScheduleModule.forRoot(),
        UpgradesModule,
        HealthModule,
        AuditModule,
        EventsModule,
      ],
    };
  }
}
