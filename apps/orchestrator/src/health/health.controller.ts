import { Controller, Get, HttpStatus, Res } from '@nestjs/common';
import { Public } from '@upshift/http';
import { ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Response } from 'express';
import { DataSource } from 'typeorm';
import { KafkaClients } from '../engine/kafka-clients';
import { TimerQueue } from '../engine/timer-queue';

type Check = { status: 'up' } & Record<string, unknown>;

async function probe(
  name: string,
  fn: () => Promise<Record<string, unknown>>,
  timeoutMs = 3000,
): Promise<[string, Check | { status: 'down'; message: string }]> {
  try {
    const detail = await Promise.race([
      fn(),
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs).unref(),
      ),
    ]);
    return [name, { status: 'up', ...detail }];
  } catch (error) {
    return [name, { status: 'down', message: error instanceof Error ? error.message : String(error) }];
  }
}

/** Liveness (the process answers) and readiness (Postgres, Redis and Kafka answer), terminus-shaped. */
@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly timers: TimerQueue,
    private readonly kafka: KafkaClients,
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
    ]);
    const details = Object.fromEntries(results);
    const up = results.every(([, c]) => c.status === 'up');
    const info = Object.fromEntries(results.filter(([, c]) => c.status === 'up'));
    const error = Object.fromEntries(results.filter(([, c]) => c.status !== 'up'));
    res
      .status(up ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE)
      .json({ status: up ? 'ok' : 'error', info, error, details });
  }
}
