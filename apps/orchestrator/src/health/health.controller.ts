import { Controller, Get, HttpStatus, Inject, Res } from '@nestjs/common';
import { Public } from '@upshift/http';
import { outboxStatusQuery } from '@upshift/messaging';
import { ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Response } from 'express';
import { DataSource } from 'typeorm';
import { ORCHESTRATOR_CONFIG, OrchestratorConfig } from '../config';
import { SCHEMA } from '../database/entities';
import { EngineLifecycle } from '../engine/engine-lifecycle';
import { KafkaClients } from '../engine/kafka-clients';
import { ResultsConsumer } from '../engine/results-consumer';
import { TimerQueue } from '../engine/timer-queue';

type Check = { status: 'up' } & Record<string, unknown>;

async function probe(
  name: string,
  fn: () => Promise<Record<string, unknown>>,
  timeoutMs = 3000,
): Promise<[string, Check | { status: 'down'; message: string }]> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const detail = await Promise.race([
      fn(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return [name, { status: 'up', ...detail }];
  } catch (error) {
    return [name, { status: 'down', message: error instanceof Error ? error.message : String(error) }];
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Liveness (the process answers; nothing else is touched) and readiness, terminus-shaped: Postgres, Redis
 * and Kafka answer, and with the engine on, the results consumer runs and the outbox is drained in time
 * (its oldest unpublished row is at most OUTBOX_MAX_AGE_SECONDS old). Relay leadership is
 * reported, never required: one replica publishes, the others stand by and are just as ready (ADR 0078).
 */
@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    @Inject(ORCHESTRATOR_CONFIG) private readonly config: OrchestratorConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly timers: TimerQueue,
    private readonly kafka: KafkaClients,
    private readonly results: ResultsConsumer,
    private readonly engine: EngineLifecycle,
  ) {}

  @Get('live')
  @Public()
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  @Public()
  async ready(@Res() res: Response): Promise<void> {
    const results = await Promise.all([
      probe('postgres', async () => {
        await this.dataSource.query('SELECT 1');
        return {};
      }),
      probe('redis', async () => ({ reply: await this.timers.connection.ping() })),
      probe('kafka', () => this.kafka.ping()),
      ...(this.config.ENGINE_ENABLED
        ? [probe('resultsConsumer', () => this.resultsConsumer()), probe('outbox', () => this.outbox())]
        : []),
    ]);
    const details = Object.fromEntries(results);
    const up = results.every(([, c]) => c.status === 'up');
    const info = Object.fromEntries(results.filter(([, c]) => c.status === 'up'));
    const error = Object.fromEntries(results.filter(([, c]) => c.status !== 'up'));
    res
      .status(up ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE)
      .json({ status: up ? 'ok' : 'error', info, error, details });
  }

  private resultsConsumer(): Promise<Record<string, unknown>> {
    const { state, error } = this.results.state;
    if (state === 'running') return Promise.resolve({ state });
    return Promise.reject(new Error(error === null ? state : `${state}: ${error}`));
  }

  /** One query: the outbox's oldest pending age (gates readiness) and who holds relay leadership. */
  private async outbox(): Promise<Record<string, unknown>> {
    const { text, values } = outboxStatusQuery(SCHEMA);
    const rows: { oldest_pending_ms: number; leader_held: boolean }[] = await this.dataSource.query(
      text,
      values,
    );
    const oldestPendingAgeMs = Math.round(Number(rows[0]?.oldest_pending_ms ?? 0));
    const maxPendingAgeMs = this.config.OUTBOX_MAX_AGE_SECONDS * 1000;
    const relay = {
      leaderHere: this.engine.outboxRelay?.isLeader ?? false,
      leaderHeldByAnyReplica: rows[0]?.leader_held === true,
    };
    if (oldestPendingAgeMs > maxPendingAgeMs) {
      throw new Error(
        `the oldest unpublished outbox row is ${oldestPendingAgeMs} ms old (limit ${maxPendingAgeMs} ms); ` +
          `relay leader here: ${relay.leaderHere}, held by any replica: ${relay.leaderHeldByAnyReplica}`,
      );
    }
    return { oldestPendingAgeMs, maxPendingAgeMs, relay };
  }
}
