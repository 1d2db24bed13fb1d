import { randomUUID } from 'crypto';
import type { Consumer } from 'kafkajs';
import { Client } from 'pg';
import {
  CommandOutcome,
  ExecutionStatus,
  InstanceCommandType,
  InstanceStatus,
  InstanceStep,
  resultMessage,
  Topics,
} from '@upshift/contracts';
import type { InstanceCommand } from '@upshift/contracts';
import { eventually } from '@upshift/testing';
import type { OrchestratorApp } from '../src/main';
import { EngineLifecycle } from '../src/engine/engine-lifecycle';
import { RecoverySweeper } from '../src/engine/recovery-sweeper';
import { ResultsConsumer } from '../src/engine/results-consumer';
import { TimerQueue } from '../src/engine/timer-queue';
import { ValidationRunner } from '../src/engine/validation-runner';
import { registerFleet } from './support/fleet-fixture';
import { TestStack } from './support/stack';
import { createUpgrade, operate } from './support/upgrades';

jest.setTimeout(120_000);

interface Readiness {
  status: 'ok' | 'error';
  details: Record<string, { status: 'up' | 'down'; message?: string } & Record<string, unknown>>;
}

async function readiness(app: OrchestratorApp): Promise<{ status: number; body: Readiness }> {
  const res = await fetch(`${app.url}/health/ready`);
  return { status: res.status, body: (await res.json()) as Readiness };
}

/**
 * Crash safety of the engine (ADRs 0077 and 0078), against real Postgres, Redis and the embedded
 * broker: timers that can always be re-armed, rollbacks resumed at start-up, results that cannot be
 * applied parked on the DLQ, and what readiness reports.
 */
describe('orchestrator recovery (e2e)', () => {
  let stack: TestStack;
  let pg: Client;

  beforeAll(async () => {
    // Two runs per timer job, so that a failing handler reaches BullMQ's failed state in about a second.
    stack = await TestStack.start('orch_recovery', { TIMER_JOB_ATTEMPTS: 2 });
    pg = new Client({ connectionString: stack.db.url });
    await pg.connect();
  });

  afterAll(async () => {
    await pg?.end();
    await stack?.stop();
  });

  const commandsOf = (executionId: string, type: InstanceCommandType): InstanceCommand[] =>
    stack.worker.commandsFor(executionId).filter((c) => c.type === type);

  it('a timer job that failed for good is re-armed by the recovery sweep and fires', async () => {
    const fleet = await registerFleet(stack, 2);
    const created = await createUpgrade(stack, fleet, {});
    const runner = stack.orchestrator.app.get(ValidationRunner);
    const queue = stack.orchestrator.app.get(TimerQueue).queue;
    const jobId = `validate-${created.id}`;
    // The hook: while set, the validation handler fails as it does when Postgres cannot be reached.
    let failures = 0;
    runner.run = () => {
      failures += 1;
      return Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:5432 (simulated outage)'));
    };
    try {
      expect((await operate(stack, created.id, 'start')).body.status).toBe(ExecutionStatus.VALIDATING);
      // Every attempt failed, and BullMQ has given up on the job (kept as failed, or removed).
      await eventually(
        async () => {
          if (failures < 2) return undefined;
          const job = await queue.getJob(jobId);
          const state = job === undefined ? 'removed' : await job.getState();
          return state === 'failed' || state === 'removed' ? state : undefined;
        },
        { timeoutMs: 20_000, what: 'the validate job to fail for good' },
      );
    } finally {
      // The outage is over.
      delete (runner as Partial<ValidationRunner>).run;
    }
    expect((await stack.execution(created.id)).status).toBe(ExecutionStatus.VALIDATING);
    await stack.orchestrator.app.get(RecoverySweeper).sweep();
    const done = await stack.waitForStatus(created.id, ExecutionStatus.COMPLETED);
    expect(done.completedInstances).toBe(2);
  });

  it('a rollback whose ROLLBACK commands were lost is resumed at once by a fresh orchestrator', async () => {
    const fleet = await registerFleet(stack, 2);
    const created = await createUpgrade(stack, fleet, {
      batchSize: 2,
      maxUnavailablePercentage: 100,
      autoRollbackEnabled: true,
      failureThreshold: 1,
    });
    const [failing] = fleet.instanceIds;
    // One UPGRADE fails, which starts the rollback; its ROLLBACK commands are taken and never answered.
    stack.worker.behaviours.set(created.id, (command) => {
      if (command.type === InstanceCommandType.ROLLBACK) return 'drop';
      if (command.type === InstanceCommandType.UPGRADE && command.instanceId === failing)
        return { outcome: CommandOutcome.FAILED, reason: 'disk full' };
      return { outcome: CommandOutcome.SUCCEEDED };
    });
    await operate(stack, created.id, 'start');
    await stack.waitForStatus(created.id, ExecutionStatus.ROLLING_BACK);
    const pending = await pg.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM orchestrator.execution_instance
        WHERE execution_id = $1 AND pending_command_type = 'ROLLBACK'`,
      [created.id],
    );
    const rollbacks = pending.rows[0]?.n ?? 0;
    expect(rollbacks).toBeGreaterThan(0);
    // Every ROLLBACK command was published and taken (and dropped) before the orchestrator goes away.
    await eventually(
      () => (commandsOf(created.id, InstanceCommandType.ROLLBACK).length === rollbacks ? true : undefined),
      { what: `the ${rollbacks} ROLLBACK command(s) to be taken` },
    );
    const lost = new Set(commandsOf(created.id, InstanceCommandType.ROLLBACK).map((c) => c.commandId));

    await stack.orchestrator.close();
    stack.worker.behaviours.delete(created.id);
    stack.orchestrator = await stack.startOrchestrator({ TIMER_JOB_ATTEMPTS: 2 });

    // The ROLLBACK commands' deadline is two minutes away (healthCheckTimeoutSeconds 5, margin 1,
    // COMMAND_STEPS_ALLOWANCE_SECONDS 120): only the start-up recovery can finish it this soon.
    const done = await stack.waitForStatus(created.id, ExecutionStatus.ROLLED_BACK, 20_000);
    expect(done.rollbackInfo?.rolledBackInstances.length).toBeGreaterThan(0);
    const reissued = commandsOf(created.id, InstanceCommandType.ROLLBACK).filter(
      (c) => !lost.has(c.commandId),
    );
    expect(reissued.length).toBe(lost.size);
  });

  it('a result that throws while applied goes to the DLQ with the error, halts its execution, and the partition moves on', async () => {
    const [fleetA, fleetB] = await Promise.all([registerFleet(stack, 1), registerFleet(stack, 1)]);
    const a = await createUpgrade(stack, fleetA, { batchSize: 1 });
    const b = await createUpgrade(stack, fleetB, { batchSize: 1 });
    // The test answers these two executions' UPGRADE commands itself, on one partition.
    stack.worker.behaviours.set(a.id, () => 'drop');
    stack.worker.behaviours.set(b.id, () => 'drop');
    await operate(stack, a.id, 'start');
    await operate(stack, b.id, 'start');
    const [upgradeA, upgradeB] = await eventually(
      () => {
        const found = [a.id, b.id].map((id) => commandsOf(id, InstanceCommandType.UPGRADE)[0]);
        return found.every((c) => c !== undefined) ? (found as InstanceCommand[]) : undefined;
      },
      { timeoutMs: 20_000, what: 'both UPGRADE commands' },
    );
    if (upgradeA === undefined || upgradeB === undefined) throw new Error('UPGRADE commands missing');

    // Execution A's state is corrupt (its draining instance already COMPLETED): applying its step
    // report throws in the engine every time. lease_version moves, so no replica trusts cached rows.
    await pg.query(`UPDATE orchestrator.execution_instance SET status = 'COMPLETED' WHERE id = $1`, [
      upgradeA.instanceId,
    ]);
    await pg.query(`UPDATE orchestrator.execution SET lease_version = lease_version + 1 WHERE id = $1`, [
      a.id,
    ]);

    const letters: string[] = [];
    const dlq: Consumer = stack.kafka.consumer({ groupId: `dlq-${randomUUID()}`, maxWaitTimeInMs: 50 });
    await dlq.connect();
    await dlq.subscribe({ topic: Topics.DLQ, fromBeginning: true });
    await dlq.run({ eachMessage: async ({ message }) => void letters.push(message.value?.toString() ?? '') });
    const producer = stack.kafka.producer();
    await producer.connect();
    try {
      const send = (command: InstanceCommand) => {
        const m = resultMessage(stack.worker.resultFor(command, CommandOutcome.SUCCEEDED, null));
        return { key: m.key, value: JSON.stringify(m.value), partition: 0 };
      };
      // The poison first, then a good result behind it on the same partition.
      await producer.send({ topic: Topics.RESULTS, messages: [send(upgradeA)] });
      await producer.send({ topic: Topics.RESULTS, messages: [send(upgradeB)] });

      await stack.waitForStatus(b.id, ExecutionStatus.COMPLETED);
      const letter = await eventually(() => letters.find((l) => l.includes(upgradeA.commandId)), {
        timeoutMs: 20_000,
        what: 'the dead letter of the poison result',
      });
      const parsed = JSON.parse(letter) as {
        data: { originalTopic: string; originalPartition: number; error: { message: string } };
      };
      expect(parsed.data.originalTopic).toBe(Topics.RESULTS);
      expect(parsed.data.originalPartition).toBe(0);
      expect(parsed.data.error.message).toMatch(
        /an UPGRADE step DRAIN cannot apply to an instance that is COMPLETED/,
      );

      const halted = await eventually(
        async () => {
          const rows = await pg.query<{ halted: boolean }>(
            'SELECT halted FROM orchestrator.execution WHERE id = $1',
            [a.id],
          );
          return rows.rows[0]?.halted === true ? true : undefined;
        },
        { what: 'execution A to be halted' },
      );
      expect(halted).toBe(true);
      const transcript = await pg.query<{ line: string }>(
        'SELECT line FROM orchestrator.transcript_line WHERE execution_id = $1',
        [a.id],
      );
      expect(transcript.rows.map((r) => r.line).join('\n')).toMatch(
        new RegExp(`Result dead-lettered: the UPGRADE result of command ${upgradeA.commandId}`),
      );
      expect(stack.orchestrator.app.get(ResultsConsumer).counters.deadLettered).toBe(1);
      expect((await stack.execution(a.id)).status).toBe(ExecutionStatus.IN_PROGRESS);
    } finally {
      await producer.disconnect();
      await dlq.disconnect();
      stack.worker.behaviours.delete(a.id);
      stack.worker.behaviours.delete(b.id);
    }
  });

  it('a Postgres outage is not poison: the results consumer crashes (not ready), nothing is dead-lettered, and it applies the result once Postgres is back', async () => {
    const fleet = await registerFleet(stack, 1);
    const created = await createUpgrade(stack, fleet, { batchSize: 1 });
    stack.worker.behaviours.set(created.id, () => 'drop');
    await operate(stack, created.id, 'start');
    const upgrade = await eventually(() => commandsOf(created.id, InstanceCommandType.UPGRADE)[0], {
      timeoutMs: 20_000,
      what: 'the UPGRADE command',
    });
    const consumer = stack.orchestrator.app.get(ResultsConsumer);
    const deadLettered = consumer.counters.deadLettered;
    const database = stack.db.name;
    // The outage, from the server's maintenance database: this test database refuses new sessions and
    // loses its open ones (the test's own `pg` session too; it is not used again).
    const adminUrl = new URL(stack.db.url);
    adminUrl.pathname = '/postgres';
    const admin = new Client({ connectionString: adminUrl.toString() });
    await admin.connect();
    pg.on('error', () => undefined);
    await admin.query(`ALTER DATABASE "${database}" ALLOW_CONNECTIONS false`);
    await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [
      database,
    ]);
    try {
      const drained = stack.worker.report(
        upgrade,
        [{ step: InstanceStep.DRAIN, outcome: CommandOutcome.SUCCEEDED }],
        false,
      );
      await stack.worker.send([drained]);
      const down = await eventually(
        async () => {
          const r = await readiness(stack.orchestrator);
          return r.body.details.resultsConsumer?.status === 'down' ? r : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 250, what: 'the results consumer to crash on the outage' },
      );
      expect(down.status).toBe(503);
      expect(down.body.details.resultsConsumer?.message).toMatch(/^crashed: /);
      expect(down.body.details.postgres?.status).toBe('down');
    } finally {
      await admin.query(`ALTER DATABASE "${database}" ALLOW_CONNECTIONS true`);
      await admin.end();
      pg = new Client({ connectionString: stack.db.url });
      await pg.connect();
    }
    await eventually(async () => ((await readiness(stack.orchestrator)).status === 200 ? true : undefined), {
      timeoutMs: 60_000,
      intervalMs: 250,
      what: 'readiness once Postgres is back',
    });
    // On upgrade.progress: the outbox relay, which lost its leadership with its session, publishes again.
    await eventually(
      () =>
        stack.progress
          .events(created.id)
          .some((e) => e.data.kind === 'InstanceStatusChanged' && e.data.to === InstanceStatus.UPGRADING)
          ? true
          : undefined,
      { timeoutMs: 30_000, what: 'the DRAIN step applied after the outage (UPGRADING on upgrade.progress)' },
    );
    expect(consumer.counters.deadLettered).toBe(deadLettered);
    stack.worker.behaviours.delete(created.id);
  });

  describe('readiness', () => {
    it('reports the results consumer, relay leadership and the outbox age; /health/live stays cheap and open', async () => {
      const live = await fetch(`${stack.orchestrator.url}/health/live`);
      expect(live.status).toBe(200);
      expect(await live.json()).toEqual({ status: 'ok' });

      const ready = await eventually(
        async () => {
          const r = await readiness(stack.orchestrator);
          return r.status === 200 ? r : undefined;
        },
        { what: 'readiness' },
      );
      expect(ready.body.details.resultsConsumer).toEqual({ status: 'up', state: 'running' });
      expect(ready.body.details.outbox).toMatchObject({
        status: 'up',
        maxPendingAgeMs: 60_000,
        relay: { leaderHere: true, leaderHeldByAnyReplica: true },
      });
    });

    it('a replica that does not hold relay leadership is still ready, and says who holds it', async () => {
      const second = await stack.startOrchestrator();
      try {
        const ready = await readiness(second);
        expect(ready.status).toBe(200);
        expect(ready.body.details.outbox).toMatchObject({
          status: 'up',
          relay: { leaderHere: false, leaderHeldByAnyReplica: true },
        });
      } finally {
        await second.close();
      }
    });

    it('is not ready while the results consumer is not running', async () => {
      const consumer = stack.orchestrator.app.get(ResultsConsumer);
      await consumer.stop();
      try {
        const down = await readiness(stack.orchestrator);
        expect(down.status).toBe(503);
        expect(down.body.details.resultsConsumer).toEqual({ status: 'down', message: 'stopped' });
      } finally {
        await consumer.start();
      }
      expect((await readiness(stack.orchestrator)).status).toBe(200);
    });

    it('is not ready while the oldest unpublished outbox row is older than the limit', async () => {
      // The relay stops (no replica publishes), and a row waits as if it had been pending for 2 minutes.
      await stack.orchestrator.app.get(EngineLifecycle).outboxRelay?.stop();
      const row = await pg.query<{ id: string }>(
        `INSERT INTO orchestrator.outbox (topic, message_key, payload, created_at)
         VALUES ('upgrade.progress', 'readiness-test', '{}', now() - interval '2 minutes') RETURNING id`,
      );
      try {
        const down = await readiness(stack.orchestrator);
        expect(down.status).toBe(503);
        expect(down.body.details.outbox?.status).toBe('down');
        expect(down.body.details.outbox?.message).toMatch(
          /oldest unpublished outbox row is \d+ ms old \(limit 60000 ms\); relay leader here: false, held by any replica: false/,
        );
      } finally {
        await pg.query('DELETE FROM orchestrator.outbox WHERE id = $1', [row.rows[0]?.id]);
      }
      // Nothing pending: ready again, though no replica holds relay leadership right now.
      const ready = await readiness(stack.orchestrator);
      expect(ready.status).toBe(200);
      expect(ready.body.details.outbox).toMatchObject({
        relay: { leaderHere: false, leaderHeldByAnyReplica: false },
      });
    });
  });
});
