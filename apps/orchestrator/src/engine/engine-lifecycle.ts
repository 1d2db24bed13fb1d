import { Inject, Injectable, Logger } from '@nestjs/common';
import type { BeforeApplicationShutdown, OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ensureTopics, OutboxRelay } from '@upshift/messaging';
import { ORCHESTRATOR_CONFIG, OrchestratorConfig } from '../config';
import { SCHEMA } from '../database/entities';
import { CanaryMonitor } from './canary-monitor';
import { KafkaClients } from './kafka-clients';
import { RecoverySweeper } from './recovery-sweeper';
import { ResultsConsumer } from './results-consumer';
import { TimerWorker } from './timer-worker';

/**
 * Starts the moving parts once the app is up (relay, results consumer, timers, canary monitor,
 * recovery) and stops them in reverse order on shutdown, so that in-flight transactions finish and
 * the relay publishes what they wrote before the connections close.
 */
@Injectable()
export class EngineLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(EngineLifecycle.name);
  private relay: OutboxRelay | null = null;
  private started = false;

  constructor(
    @Inject(ORCHESTRATOR_CONFIG) private readonly config: OrchestratorConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly kafka: KafkaClients,
    private readonly results: ResultsConsumer,
    private readonly timers: TimerWorker,
    private readonly canaries: CanaryMonitor,
    private readonly recovery: RecoverySweeper,
  ) {}

  get outboxRelay(): OutboxRelay | null {
    return this.relay;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.ENGINE_ENABLED) return;
    await this.kafka.connect();
    await ensureTopics(this.kafka.kafka);
    this.relay = new OutboxRelay({
      connection: this.config.DATABASE_URL,
      schema: SCHEMA,
      kafka: this.kafka.kafka,
      chunkSize: 5000,
      logger: this.kafka.pino,
    });
    await this.relay.start();
    await this.results.start();
    this.timers.start();
    this.canaries.start();
    this.recovery.start();
    this.started = true;
    this.logger.log({ brokers: this.config.KAFKA_BROKERS }, 'engine started');
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    this.canaries.stop();
    await this.recovery.stop();
    await this.results.stop();
    await this.timers.stop();
    await this.relay?.stop();
    await this.kafka.disconnect();
    this.logger.log('engine stopped');
  }
}
