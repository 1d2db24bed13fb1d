import {
  CommandOutcome,
  ConsumerGroups,
  ExecutionStatus,
  InstanceCommandType,
  InstanceStatus,
  Topics,
} from '@upshift/contracts';
import { eventually } from '@upshift/testing';
import { Client } from 'pg';
import { DataSource as DataSourceToken } from 'typeorm';
import { RecoverySweeper } from '../src/engine/recovery-sweeper';
import { registerFleet } from './support/fleet-fixture';
import { TestStack } from './support/stack';
import { commandCounts, createUpgrade, operate, sleep } from './support/upgrades';

/**
 * The engine end to end: real Postgres, Redis, embedded Kafka broker and registry; the test is the
 * worker (over Kafka) and the instances' agents (over HTTP).
 */
describe('orchestrator engine (e2e)', () => {
  let stack: TestStack;
  const executions: string[] = [];

  beforeAll(async () => {
    stack = await TestStack.start('orch_engine');
  });

  afterAll(async () => {
    await stack?.stop();
  });

  async function upgradedOnce(executionId: string, instanceIds: string[]): Promise<void> {
    const counts = commandCounts(stack, executionId);
    for (const id of instanceIds) {
      expect(counts.get(id)).toEqual({ UPGRADE: 1 });
    }
  }

  it('ROLLING: upgrades every instance once in batches, records them in the registry and ends COMPLETED', async () => {
    const fleet = await registerFleet(stack, 6);
    const created = await createUpgrade(stack, fleet, { strategy: 'ROLLING' });
    executions.push(created.id);
    expect(created.status).toBe(ExecutionStatus.PENDING);
    const started = await operate(stack, created.id, 'start');
    expect(started.status).toBe(200);
    expect(started.body.status).toBe(ExecutionStatus.VALIDATING);

    const done = await stack.waitForStatus(created.id, ExecutionStatus.COMPLETED);
    expect(done.completedInstances).toBe(6);
    expect(done.failedInstances).toBe(0);
    expect(done.instances.every((i) => i.status === InstanceStatus.COMPLETED)).toBe(true);
    expect(done.validationResults.map((v) => [v.check, v.passed])).toEqual([
      ['VERSION_COMPATIBILITY', true],
      ['RESOURCE_AVAILABILITY', true],
      ['BACKUP_VERIFICATION', true],
      ['HEALTH_ENDPOINTS', true],
      ['DEPENDENCY_CHECK', true],
    ]);
    expect(done.currentBatch).toBe(3);
    expect(done.totalBatches).toBe(3);
    await upgradedOnce(created.id, fleet.instanceIds);

    // Out-of-service instances never exceeded the bound (50% of 6 = 3; batches of 2).
    const starts = stack.progress.events(created.id).filter((e) => e.data.kind === 'BatchStarted');
    expect(starts.map((e) => (e.data.kind === 'BatchStarted' ? e.data.instanceIds.length : 0))).toEqual([
      2, 2, 2,
    ]);

    // The registry learns each instance's new version.
    await eventually(
      async () => {
        const res = await fetch(
          `${stack.registry.url}/api/v1/registry/tenants/${fleet.tenantId}/instances?componentId=${fleet.componentId}&versionId=${fleet.toVersionId}`,
          { headers: { authorization: `Bearer ${stack.adminToken}` } },
        );
        const body = (await res.json()) as unknown[];
        return body.length === 6 ? true : undefined;
      },
      { what: 'registry instances on the new version' },
    );
  });

  // ADR 0002: BLUE_GREEN switches at most half the fleet at a time, RECREATE replaces all it may at once.
  it.each([
    ['BLUE_GREEN', [2, 2]],
    ['RECREATE', [4]],
  ])(
    '%s: ends COMPLETED with each instance upgraded once, in batches of %j',
    async (strategy, batchSizes) => {
      const fleet = await registerFleet(stack, 4);
      const created = await createUpgrade(stack, fleet, { strategy, maxUnavailablePercentage: 100 });
      executions.push(created.id);
      await operate(stack, created.id, 'start');
      const done = await stack.waitForStatus(created.id, ExecutionStatus.COMPLETED);
      expect(done.completedInstances).toBe(4);
      await upgradedOnce(created.id, fleet.instanceIds);
      const starts = stack.progress.events(created.id).filter((e) => e.data.kind === 'BatchStarted');
      expect(starts.map((e) => (e.data.kind === 'BatchStarted' ? e.data.instanceIds.length : 0))).toEqual(
        batchSizes,
      );
    },
  );

  it('STAGED: pauses after each stage and completes when every stage is approved by resume', async () => {
    const fleet = await registerFleet(stack, 4);
    const created = await createUpgrade(stack, fleet, { strategy: 'STAGED', batchSize: 2 });
    executions.push(created.id);
    await operate(stack, created.id, 'start');
    let resumes = 0;
    for (;;) {
      const view = await eventually(
        async () => {
          const v = await stack.execution(created.id);
          return v.status === ExecutionStatus.PAUSED || v.status === ExecutionStatus.COMPLETED
            ? v
            : undefined;
        },
        { timeoutMs: 20_000, what: 'a stage to finish' },
      );
      if (view.status === ExecutionStatus.COMPLETED) break;
      expect(view.statusReason).toMatch(/^stage \d+ finished; resume to approve the next stage$/);
      expect((await operate(stack, created.id, 'resume')).status).toBe(200);
      resumes += 1;
      if (resumes > 10) throw new Error('STAGED never completed');
    }
    expect(resumes).toBeGreaterThan(0);
    await upgradedOnce(created.id, fleet.instanceIds);
  });

  it('CANARY: canaries first, CANARY_MONITORING, then promote-canary rolls out the rest to COMPLETED', async () => {
    const fleet = await registerFleet(stack, 10);
    const created = await createUpgrade(stack, fleet, { strategy: 'CANARY', canaryPercentage: 20 });
    executions.push(created.id);
    await operate(stack, created.id, 'start');
    const monitoring = await stack.waitForStatus(created.id, ExecutionStatus.CANARY_MONITORING);
    const canaries = monitoring.instances.filter((i) => i.status === InstanceStatus.COMPLETED);
    expect(canaries).toHaveLength(2);
    expect(monitoring.instances.filter((i) => i.status === InstanceStatus.PENDING)).toHaveLength(8);
    await eventually(
      () => (stack.progress.kinds(created.id).includes('CanaryHealthReported') ? true : undefined),
      { what: 'a canary health report' },
    );
    const promoted = await operate(stack, created.id, 'promote-canary');
    expect(promoted.status).toBe(200);
    const done = await stack.waitForStatus(created.id, ExecutionStatus.COMPLETED);
    expect(done.completedInstances).toBe(10);
    await upgradedOnce(created.id, fleet.instanceIds);
  });

  it('CANARY with auto-rollback: an unhealthy canary is rolled back by system:auto-rollback → ROLLED_BACK', async () => {
    const fleet = await registerFleet(stack, 10);
    const created = await createUpgrade(stack, fleet, {
      strategy: 'CANARY',
      canaryPercentage: 20,
      autoRollbackEnabled: true,
    });
    executions.push(created.id);
    // The new version makes the canaries unhealthy once their own health check has passed.
    stack.worker.behaviours.set(created.id, (command) => {
      if (command.type === InstanceCommandType.UPGRADE) {
        stack.agents.set(command.agentUrl.split('/').pop() ?? '', { healthy: false });
      }
      return { outcome: CommandOutcome.SUCCEEDED };
    });
    await operate(stack, created.id, 'start');
    const done = await stack.waitForStatus(created.id, ExecutionStatus.ROLLED_BACK);
    expect(done.rollbackInfo?.rollbackInitiatedBy).toBe('system:auto-rollback');
    expect(done.rollbackInfo?.rollbackReason).toMatch(/canary health check failed/);
    expect(done.rollbackInfo?.rolledBackInstances).toHaveLength(2);
    // The status is read from Postgres; its events reach Kafka through the outbox relay a moment later.
    const terminal = (kind: string) => kind === 'ExecutionStatusChanged';
    await eventually(
      () =>
        stack.progress
          .events(created.id)
          .some((e) => terminal(e.data.kind) && 'to' in e.data && e.data.to === 'ROLLED_BACK')
          ? true
          : undefined,
      { what: 'the ROLLED_BACK event on upgrade.progress' },
    );
    const kinds = stack.progress.kinds(created.id);
    expect(kinds).toContain('RollbackStarted');
    expect(kinds).toContain('RollbackCompleted');
    const statuses = stack.progress
      .events(created.id)
      .flatMap((e) => (e.data.kind === 'ExecutionStatusChanged' ? [e.data.to] : []));
    expect(statuses).toEqual([
      'VALIDATING',
      'CANARY_RUNNING',
      'CANARY_MONITORING',
      'ROLLING_BACK',
      'ROLLED_BACK',
    ]);
  });

  it('CANARY without auto-rollback: an unhealthy canary is reported and the execution stays CANARY_MONITORING', async () => {
    const fleet = await registerFleet(stack, 10);
    const created = await createUpgrade(stack, fleet, { strategy: 'CANARY', canaryPercentage: 10 });
    executions.push(created.id);
    stack.worker.behaviours.set(created.id, (command) => {
      if (command.type === InstanceCommandType.UPGRADE) {
        stack.agents.set(command.agentUrl.split('/').pop() ?? '', { healthy: false });
      }
      return { outcome: CommandOutcome.SUCCEEDED };
    });
    await operate(stack, created.id, 'start');
    await stack.waitForStatus(created.id, ExecutionStatus.CANARY_MONITORING);
    // At least two monitor rounds (interval 1 s), each reporting the unhealthy canary.
    await eventually(
      () => {
        const reports = stack.progress
          .events(created.id)
          .filter((e) => e.data.kind === 'CanaryHealthReported' && e.data.unhealthy > 0);
        return reports.length >= 2 ? reports : undefined;
      },
      { timeoutMs: 10_000, what: 'two unhealthy canary reports' },
    );
    const view = await stack.execution(created.id);
    expect(view.status).toBe(ExecutionStatus.CANARY_MONITORING);
    expect(view.rollbackInfo?.rollbackInitiatedAt).toBeNull();
    expect((await operate(stack, created.id, 'cancel')).body.status).toBe(ExecutionStatus.CANCELLED);
  });

  it('auto-rollback starts in the transaction where failures reach the threshold, then ROLLED_BACK', async () => {
    const fleet = await registerFleet(stack, 6);
    const created = await createUpgrade(stack, fleet, {
      autoRollbackEnabled: true,
      failureThreshold: 2,
      batchSize: 2,
      maxUnavailablePercentage: 50,
    });
    executions.push(created.id);
    const failing = new Set(fleet.instanceIds.slice(2, 4));
    stack.worker.behaviours.set(created.id, (command) =>
      command.type === InstanceCommandType.UPGRADE && failing.has(command.instanceId)
        ? { outcome: CommandOutcome.FAILED, reason: 'disk full' }
        : { outcome: CommandOutcome.SUCCEEDED },
    );
    await operate(stack, created.id, 'start');
    const done = await stack.waitForStatus(created.id, ExecutionStatus.ROLLED_BACK);
    expect(done.failedInstances).toBe(2);
    expect(done.rollbackInfo?.rollbackInitiatedBy).toBe('system:auto-rollback');
    expect(done.rollbackInfo?.currentFailures).toBe(2);
    // Batch 1 (completed) and batch 2 (failed at UPGRADING) are reverted; batch 3 never started.
    expect(new Set(done.rollbackInfo?.rolledBackInstances)).toEqual(new Set(fleet.instanceIds.slice(0, 4)));
    expect(done.instances.slice(4).every((i) => i.status === InstanceStatus.PENDING)).toBe(true);
    // The second failure and ROLLING_BACK are in the same transaction: adjacent sequences.
    const events = stack.progress.events(created.id);
    const secondFailure = events.filter(
      (e) => e.data.kind === 'InstanceStatusChanged' && e.data.to === InstanceStatus.FAILED,
    )[1];
    const rollingBack = events.find(
      (e) => e.data.kind === 'ExecutionStatusChanged' && e.data.to === 'ROLLING_BACK',
    );
    expect(secondFailure).toBeDefined();
    expect(rollingBack?.time).toBe(secondFailure?.time);
  });

  it('pause stops new batches (in-flight ones finish); resume finishes with each instance upgraded once', async () => {
    const fleet = await registerFleet(stack, 6);
    const created = await createUpgrade(stack, fleet, { batchSize: 2, batchDelaySeconds: 2 });
    executions.push(created.id);
    await operate(stack, created.id, 'start');
    await eventually(() => (stack.progress.kinds(created.id).includes('BatchCompleted') ? true : undefined), {
      what: 'the first batch to complete',
    });
    const paused = await operate(stack, created.id, 'pause');
    expect(paused.status).toBe(200);
    expect(paused.body.status).toBe(ExecutionStatus.PAUSED);
    const batchesAtPause = stack.progress.kinds(created.id).filter((k) => k === 'BatchStarted').length;
    await sleep(3000); // longer than the batch delay: a running execution would have started a batch
    const stillPaused = await stack.execution(created.id);
    expect(stillPaused.status).toBe(ExecutionStatus.PAUSED);
    expect(stack.progress.kinds(created.id).filter((k) => k === 'BatchStarted').length).toBe(batchesAtPause);
    expect((await operate(stack, created.id, 'resume')).body.status).toBe(ExecutionStatus.IN_PROGRESS);
    const done = await stack.waitForStatus(created.id, ExecutionStatus.COMPLETED);
    expect(done.completedInstances).toBe(6);
    await upgradedOnce(created.id, fleet.instanceIds);
  });

  it('duplicate and late results change nothing', async () => {
    const fleet = await registerFleet(stack, 4);
    const created = await createUpgrade(stack, fleet, { batchSize: 2 });
    executions.push(created.id);
    // Every report is sent twice while the execution runs, each step in a report of its own.
    stack.worker.behaviours.set(created.id, () => ({ outcome: CommandOutcome.SUCCEEDED, stepByStep: true }));
    const original = stack.worker.send.bind(stack.worker);
    stack.worker.send = async (results) => {
      await original(results);
      await original(results.filter((r) => r.executionId === created.id));
    };
    try {
      await operate(stack, created.id, 'start');
      await stack.waitForStatus(created.id, ExecutionStatus.COMPLETED);
    } finally {
      stack.worker.send = original;
    }
    await upgradedOnce(created.id, fleet.instanceIds);
    const before = await stack.execution(created.id);
    const eventsBefore = stack.progress.events(created.id).length;
    // Late: every report again, plus FAILED reports of every step of commands long answered.
    const late = stack.worker.results.filter((r) => r.executionId === created.id);
    await stack.worker.send([
      ...late,
      ...late.map((r) => ({
        ...r,
        steps: r.steps.map((step) => ({ ...step, outcome: CommandOutcome.FAILED, reason: 'late' })),
      })),
    ]);
    await sleep(1500);
    const after = await stack.execution(created.id);
    expect(after).toEqual(before);
    expect(stack.progress.events(created.id).length).toBe(eventsBefore);
  });

  it('an unparseable result goes to the dead-letter topic and the consumer moves on', async () => {
    const consumer = stack.kafka.consumer({ groupId: `dlq-${Date.now()}`, maxWaitTimeInMs: 50 });
    const letters: string[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic: Topics.DLQ, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => void letters.push(message.value?.toString() ?? ''),
    });
    try {
      await stack.worker.sendRaw('garbage', '{"not": "an envelope"');
      await eventually(() => (letters.some((l) => l.includes('not JSON')) ? true : undefined), {
        timeoutMs: 15_000,
        what: 'the dead letter',
      });
    } finally {
      await consumer.disconnect();
    }
  });

  it('versions owed to the registry survive a lost delivery: the recovery sweep sends them, then forgets them', async () => {
    const fleet = await registerFleet(stack, 2);
    const created = await createUpgrade(stack, fleet, {});
    executions.push(created.id);
    await operate(stack, created.id, 'start');
    await stack.waitForStatus(created.id, ExecutionStatus.COMPLETED);
    const registryVersion = async (instanceId: string) => {
      const res = await fetch(
        `${stack.registry.url}/api/v1/registry/tenants/${fleet.tenantId}/instances/${instanceId}`,
        { headers: { authorization: `Bearer ${stack.adminToken}` } },
      );
      return ((await res.json()) as { versionId: string }).versionId;
    };
    const pg = new Client({ connectionString: stack.db.url });
    await pg.connect();
    try {
      const owed = async () =>
        Number(
          (
            await pg.query<{ n: string }>(
              'SELECT count(*) AS n FROM orchestrator.registry_sync WHERE execution_id = $1',
              [created.id],
            )
          ).rows[0]?.n,
        );
      // Delivered after the commit, and the rows are deleted once the registry acknowledged them.
      await eventually(async () => ((await owed()) === 0 ? true : undefined), { what: 'the delivery' });
      const [first] = fleet.instanceIds;
      expect(await registryVersion(first ?? '')).toBe(fleet.toVersionId);

      // What a crash between the commit and the delivery job leaves behind: an owed row and a registry
      // that never heard of it (its version set back by hand here).
      await fetch(`${stack.registry.url}/api/v1/registry/tenants/${fleet.tenantId}/instances/${first}`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${stack.adminToken}` },
        body: JSON.stringify({ versionId: fleet.fromVersionId }),
      });
      await pg.query(
        `INSERT INTO orchestrator.registry_sync (instance_id, tenant_id, execution_id, version_id, recorded_at)
         VALUES ($1, $2, $3, $4, now() - interval '1 minute')`,
        [first, fleet.tenantId, created.id, fleet.toVersionId],
      );
      await stack.orchestrator.app.get(RecoverySweeper).sweep();
      await eventually(
        async () => ((await registryVersion(first ?? '')) === fleet.toVersionId ? true : undefined),
        {
          what: 'the sweep to deliver the owed version',
        },
      );
      await eventually(async () => ((await owed()) === 0 ? true : undefined), { what: 'the owed row to go' });
    } finally {
      await pg.end();
    }
  });

  it('commits its upgrade.results offsets, so a restart does not replay the topic', async () => {
    const fleet = await registerFleet(stack, 2);
    const created = await createUpgrade(stack, fleet, {});
    executions.push(created.id);
    await operate(stack, created.id, 'start');
    await stack.waitForStatus(created.id, ExecutionStatus.COMPLETED);
    const admin = stack.kafka.admin();
    await admin.connect();
    try {
      await eventually(
        async () => {
          const ends = await admin.fetchTopicOffsets(Topics.RESULTS);
          const [committed] = await admin.fetchOffsets({
            groupId: ConsumerGroups.ORCHESTRATOR,
            topics: [Topics.RESULTS],
          });
          const byPartition = new Map(committed?.partitions.map((p) => [p.partition, p.offset]));
          // An empty partition has nothing to commit (-1); every other one is committed up to its end.
          const done = ends.every((end) => end.high === '0' || byPartition.get(end.partition) === end.high);
          return done && ends.some((end) => end.high !== '0') ? true : undefined;
        },
        { what: "the orchestrator group's committed offsets to reach the end of upgrade.results" },
      );
    } finally {
      await admin.disconnect();
    }
  });

  it('a restarted orchestrator resumes from Postgres and Redis and finishes with each instance upgraded once', async () => {
    const fleet = await registerFleet(stack, 6);
    const created = await createUpgrade(stack, fleet, { batchSize: 2, batchDelaySeconds: 1 });
    executions.push(created.id);
    await operate(stack, created.id, 'start');
    await eventually(() => (stack.progress.kinds(created.id).includes('BatchCompleted') ? true : undefined), {
      what: 'the first batch to complete',
    });
    await stack.orchestrator.close();
    stack.orchestrator = await stack.startOrchestrator();
    const done = await stack.waitForStatus(created.id, ExecutionStatus.COMPLETED, 40_000);
    expect(done.completedInstances).toBe(6);
    await upgradedOnce(created.id, fleet.instanceIds);
  });

  it('two replicas share the work (row locks, one consumer group, one timer queue)', async () => {
    const second = await stack.startOrchestrator();
    try {
      const fleets = await Promise.all([registerFleet(stack, 4), registerFleet(stack, 4)]);
      const created = await Promise.all(fleets.map((f) => createUpgrade(stack, f, { batchSize: 1 })));
      executions.push(...created.map((c) => c.id));
      await Promise.all(created.map((c) => operate(stack, c.id, 'start')));
      for (const [index, c] of created.entries()) {
        await stack.waitForStatus(c.id, ExecutionStatus.COMPLETED, 40_000);
        await upgradedOnce(c.id, fleets[index]?.instanceIds ?? []);
      }
    } finally {
      await second.close();
    }
  });

  it('upgrade.progress carries a gap-free sequence per execution, matching Postgres', async () => {
    expect(executions.length).toBeGreaterThan(5);
    for (const id of executions) {
      const rows: { progress_sequence: string }[] = await stack.orchestrator.app
        .get(DataSourceToken)
        .query('SELECT progress_sequence FROM orchestrator.execution WHERE id = $1', [id]);
      const last = Number(rows[0]?.progress_sequence);
      const sequences = await eventually(
        () => {
          const seq = stack.progress.events(id).map((e) => e.sequence);
          return seq.length >= last ? seq : undefined;
        },
        { what: `all ${last} progress events of ${id}` },
      );
      if (JSON.stringify(sequences) !== JSON.stringify(Array.from({ length: last }, (_, i) => i + 1))) {
        console.log(stack.progress.trace.filter((t) => t.startsWith(id.slice(0, 8))).join('\n'));
      }
      expect(sequences).toEqual(Array.from({ length: last }, (_, i) => i + 1));
    }
  });
});
