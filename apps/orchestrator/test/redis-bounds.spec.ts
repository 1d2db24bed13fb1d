import { randomBytes } from 'crypto';
import { Logger } from '@nestjs/common';
import { freePort } from '@upshift/stack';
import { startPrivateRedis, TEST_JWT_SECRET } from '@upshift/testing';
import type { PrivateRedis } from '@upshift/testing';
import { loadConfig } from '../src/config';
import { REDIS_COMMAND_TIMEOUT_MS } from '../src/engine/redis-options';
import { TimerQueue } from '../src/engine/timer-queue';

jest.setTimeout(30_000);

/** How long a call may take, at most, before the test calls it hung. */
const BOUND_MS = REDIS_COMMAND_TIMEOUT_MS + 2_000;

async function settleWithin<T>(work: Promise<T>, ms: number): Promise<{ ms: number; error: unknown }> {
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<'hung'>((resolve) => {
    timer = setTimeout(() => resolve('hung'), ms);
  });
  try {
    const outcome = await Promise.race([
      work.then(
        () => ({ error: null as unknown }),
        (error: unknown) => ({ error }),
      ),
      hung,
    ]);
    if (outcome === 'hung') throw new Error(`the call was still pending after ${ms} ms`);
    return { ms: Date.now() - started, error: outcome.error };
  } finally {
    clearTimeout(timer);
  }
}

function timerQueue(url: string): TimerQueue {
  const queue = new TimerQueue(
    loadConfig({
      REDIS_URL: url,
      QUEUE_PREFIX: `bounds-${process.pid}`,
      AUTH_JWT_SECRET: TEST_JWT_SECRET,
      AGENT_AUTH_KEY: randomBytes(32).toString('hex'),
    }),
  );
  queue.connection.on('error', () => undefined);
  return queue;
}

/**
 * The orchestrator's own Redis client never queues commands without bound while Redis is down
 * (ADR 0079): a timer cannot be armed, or readiness pinged, and the call fails instead of hanging.
 */
describe('orchestrator Redis calls while Redis is down', () => {
  let redis: PrivateRedis | null = null;
  const queues: TimerQueue[] = [];

  // Connection-refused warnings are the expected noise of these tests.
  beforeAll(() => Logger.overrideLogger(false));

  afterEach(async () => {
    for (const queue of queues.splice(0)) await queue.onModuleDestroy().catch(() => undefined);
    await redis?.stop();
    redis = null;
  });

  it('a Redis that went away: arming a timer and pinging fail fast', async () => {
    redis = await startPrivateRedis();
    const queue = timerQueue(redis.url);
    queues.push(queue);
    await queue.add(
      { name: 'advance', data: { executionId: 'e-1' } },
      { jobId: 'advance-e-1-1', delayMs: 60_000 },
    );
    expect(await queue.connection.ping()).toBe('PONG');

    await redis.stop();
    const ping = await settleWithin(queue.connection.ping(), BOUND_MS);
    expect(ping.error).toBeInstanceOf(Error);
    const add = await settleWithin(
      queue.add({ name: 'advance', data: { executionId: 'e-2' } }, { jobId: 'advance-e-2-1' }),
      BOUND_MS,
    );
    expect(add.error).toBeInstanceOf(Error);
  });

  it('a Redis that never answered: arming a timer fails within the bound', async () => {
    const queue = timerQueue(`redis://127.0.0.1:${await freePort()}`);
    queues.push(queue);
    const add = await settleWithin(
      queue.add({ name: 'validate', data: { executionId: 'e-3' } }, { jobId: 'validate-e-3' }),
      BOUND_MS,
    );
    expect(add.error).toBeInstanceOf(Error);
    expect(add.ms).toBeGreaterThanOrEqual(REDIS_COMMAND_TIMEOUT_MS - 100);
  });
});
