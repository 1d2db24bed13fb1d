import Redis from 'ioredis';
import { Partitioners } from 'kafkajs';
import pino, { type Logger } from 'pino';
import { masterKeyring, parseAgentAuthKey, parseAgentUrlAllowList } from '@upshift/contracts';
import {
  createKafka,
  describeKafkaSecurity,
  ensureTopics,
  kafkaSecurityFromEnv,
  parseBrokers,
} from '@upshift/messaging';
import type { AgentDriver } from './agent/agent-driver';
import { HttpAgentDriver } from './agent/http-agent-driver';
import { MeasuredAgentDriver } from './agent/measured-agent-driver';
import { CommandExecutor } from './commands/command-executor';
import { ResultCache } from './commands/result-cache';
import type { WorkerConfig } from './config';
import { BatchingPublisher } from './consumer/batching-publisher';
import { CommandConsumer, type ConsumerStats } from './consumer/command-consumer';
import { startHealthServer } from './health/health-server';
import { InstanceLeases } from './lease/instance-lease';
import { WorkerMetrics } from './metrics/worker-metrics';
import { workerRedisOptions } from './redis-options';
import { retry } from './retry/retry';

export interface RunningWorker {
  readonly workerId: string;
  readonly stats: ConsumerStats;
  /** Port of `/health/live`, `/health/ready` and `/metrics` (WORKER_HEALTH_PORT, or the one picked for 0). */
  readonly healthPort: number;
  /** Graceful: finish (or hand back) in-flight commands, then disconnect everything. */
  stop(): Promise<void>;
}

export interface StartWorkerOverrides {
  logger?: Logger;
  driver?: AgentDriver;
  /** Consumer group (default upshift-workers). Tests use a second group to deliver one command to two workers. */
  groupId?: string;
}

/** Starts one worker: the consumer, the results producer, the Redis leases and the agent driver. */
export async function startWorker(
  config: WorkerConfig,
  overrides: StartWorkerOverrides = {},
): Promise<RunningWorker> {
  const logger = (overrides.logger ?? pino({ name: 'worker', level: config.LOG_LEVEL })).child({
    workerId: config.WORKER_ID,
  });
  // KAFKA_SASL_MECHANISM, KAFKA_SSL, …: a mistake there throws here and stops start-up
  // before anything is connected.
  const security = kafkaSecurityFromEnv(process.env);
  logger.info({ kafkaSecurity: describeKafkaSecurity(security) }, 'Kafka security');
  // Auto-pipelining: the lease and result-cache calls of hundreds of concurrent commands that fall in one
  // event-loop tick go out as one socket write instead of one write each (a write to a loopback socket
  // was a fifth of the worker's CPU in bench:e2e).
  const redis = new Redis(config.REDIS_URL, {
    ...workerRedisOptions(),
    lazyConnect: true,
    enableAutoPipelining: true,
  });
  redis.on('error', (error) => logger.warn({ err: error.message }, 'Redis connection error'));
  await connectRedis(redis, logger);
  const kafka = createKafka({
    security,
    clientId: config.WORKER_ID,
    brokers: parseBrokers(config.KAFKA_BROKERS),
    logger,
  });
  // Creates only missing topics; whichever service starts first lays them out (libs/messaging).
  await ensureTopics(kafka);
  // Results need no cross-message ordering (the orchestrator matches them by commandId), so a plain
  // acks=all producer with batching is enough; a retried send may duplicate a result, which is ignored.
  const producer = kafka.producer({
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner, // Java-compatible murmur2, as everywhere
  });
  await producer.connect();
  const metrics = new WorkerMetrics();
  const driver = new MeasuredAgentDriver(
    overrides.driver ??
      new HttpAgentDriver({
        timeoutMs: config.WORKER_AGENT_TIMEOUT_MS,
        maxSockets: Math.max(16, config.WORKER_CONCURRENCY * 2),
        keys: masterKeyring(parseAgentAuthKey(config.AGENT_AUTH_KEY)),
        urlPolicy: parseAgentUrlAllowList(config.AGENT_URL_ALLOW),
      }),
    metrics,
  );
  const executor = new CommandExecutor(
    driver,
    {
      maxAttempts: config.WORKER_RETRY_MAX_ATTEMPTS,
      baseDelayMs: config.WORKER_RETRY_BASE_MS,
      maxDelayMs: config.WORKER_RETRY_MAX_MS,
    },
    logger,
  );
  const consumer = new CommandConsumer(
    {
      kafka,
      publisher: new BatchingPublisher(producer),
      producer,
      executor,
      leases: new InstanceLeases(redis, {
        ttlMs: config.WORKER_LEASE_TTL_MS,
        prefix: config.WORKER_REDIS_PREFIX,
        holder: config.WORKER_ID,
      }),
      results: new ResultCache(config.WORKER_REDIS_PREFIX),
      logger,
    },
    {
      workerId: config.WORKER_ID,
      groupId: overrides.groupId,
      concurrency: config.WORKER_CONCURRENCY,
      maxAdmitted: config.WORKER_CONCURRENCY * 4,
      sessionTimeoutMs: config.WORKER_SESSION_TIMEOUT_MS,
      shutdownGraceMs: config.WORKER_SHUTDOWN_GRACE_MS,
      reportCoalesceMs: config.WORKER_REPORT_COALESCE_MS,
    },
  );
  metrics.observeConsumer(consumer.stats);
  await consumer.start();
  logger.info({ concurrency: config.WORKER_CONCURRENCY }, 'worker consuming upgrade.commands');
  const health = await startHealthServer(
    config.WORKER_HEALTH_PORT,
    { consumer: () => consumer.state, redisPing: () => redis.ping() },
    logger,
    { registry: metrics.registry, token: config.METRICS_TOKEN },
  );

  let stopped: Promise<void> | null = null;
  return {
    workerId: config.WORKER_ID,
    stats: consumer.stats,
    healthPort: health.port,
    stop: () =>
      (stopped ??= (async () => {
        await consumer.stop();
        await health.close();
        await producer.disconnect();
        driver.close();
        await redis.quit();
        logger.info(consumer.stats, 'worker stopped');
      })()),
  };
}

/** How long start-up waits for Redis before it gives up (a restart of Redis takes seconds). */
const REDIS_STARTUP_WAIT_MS = 60_000;

/**
 * Connects, waiting for a Redis that is down or restarting instead of exiting at once: a worker started
 * (or restarted by its supervisor) during a Redis outage would otherwise stay down after Redis is back.
 * ioredis keeps reconnecting on its own after a failed first attempt; `ping` says when it is through.
 */
export async function connectRedis(
  redis: Redis,
  logger: Logger,
  waitMs: number = REDIS_STARTUP_WAIT_MS,
): Promise<void> {
  redis.connect().catch(() => undefined);
  const started = Date.now();
  await retry(() => redis.ping(), {
    backoff: { baseDelayMs: 200, maxDelayMs: 2_000, jitter: 'none' },
    retryable: () => Date.now() - started < waitMs,
    onRetry: (attempt, error) =>
      logger.warn(
        { attempt, err: error instanceof Error ? error.message : String(error) },
        'waiting for Redis before starting',
      ),
  });
}
