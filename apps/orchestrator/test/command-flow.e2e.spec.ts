import { Client } from 'pg';
import {
  CommandOutcome,
  ExecutionStatus,
  InstanceCommandType,
  InstanceStatus,
  InstanceStep,
} from '@upshift/contracts';
import type { InstanceCommand } from '@upshift/contracts';
import { eventually } from '@upshift/testing';
import { RecoverySweeper } from '../src/engine/recovery-sweeper';
import { registerFleet } from './support/fleet-fixture';
import { TestStack } from './support/stack';
import { createUpgrade, operate, sleep } from './support/upgrades';

jest.setTimeout(120_000);

/**
 * One command per instance attempt (ADR 0081), end to end: real Postgres, Redis, the embedded broker and
 * the registry; the test is the worker. Commands here have a short deadline (COMMAND_STEPS_ALLOWANCE_SECONDS
 * 0 and a 1 s margin: healthCheckTimeoutSeconds + 1), so that the group deadline can be watched firing.
 */
describe('orchestrator command flow (e2e)', () => {
  let stack: TestStack;
  let pg: Client;

  beforeAll(async () => {
    stack = await TestStack.start('orch_command_flow', { COMMAND_STEPS_ALLOWANCE_SECONDS: 0 });
    pg = new Client({ connectionString: stack.db.url });
    await pg.connect();
  });

  afterAll(async () => {
    await pg?.end();
    await stack?.stop();
  });

  /** The instance's whole row, as Postgres holds it. */
  async function row(executionId: string, instanceId: string): Promise<Record<string, unknown>> {
    const rows = await pg.query<Record<string, unknown>>(
      'SELECT * FROM orchestrator.execution_instance WHERE execution_id = $1 AND id = $2',
      [executionId, instanceId],
    );
    const found = rows.rows[0];
    if (found === undefined) throw new Error(`no row for ${instanceId}`);
    return found;
  }

  /** Each instance's passages, in the order upgrade.progress carried them, with the time of their transaction. */
  function passages(executionId: string, instanceId: string): { move: string; time: string }[] {
    return stack.progress
      .events(executionId)
      .flatMap((e) =>
        e.data.kind === 'InstanceStatusChanged' && e.data.instanceId === instanceId
          ? [{ move: `${e.data.from}→${e.data.to}`, time: e.time }]
          : [],
      );
  }

  const FULL_PASSAGE = [
    'PENDING→DRAINING',
    'DRAINING→UPGRADING',
    'UPGRADING→HEALTH_CHECKING',
    'HEALTH_CHECKING→COMPLETED',
  ];

  async function passagesOf(executionId: string, instanceId: string, count: number) {
    return eventually(
      () => {
        const found = passages(executionId, instanceId);
        return found.length >= count ? found : undefined;
      },
      { what: `${count} status changes of ${instanceId} on upgrade.progress` },
    );
  }

  it('one report of all three steps is applied in one transaction, each passage evented', async () => {
    const fleet = await registerFleet(stack, 2);
    const created = await createUpgrade(stack, fleet, { healthCheckTimeoutSeconds: 30 });
    await operate(stack, created.id, 'start');
    await stack.waitForStatus(created.id, ExecutionStatus.COMPLETED);
    for (const id of fleet.instanceIds) {
      const commands = stack.worker.commandsFor(created.id).filter((c) => c.instanceId === id);
      expect(commands.map((c) => c.type)).toEqual([InstanceCommandType.UPGRADE]);
      const seen = await passagesOf(created.id, id, 4);
      expect(seen.map((p) => p.move)).toEqual(FULL_PASSAGE);
      // The report's three steps: one transaction, so one time.
      expect(new Set(seen.slice(1).map((p) => p.time)).size).toBe(1);
    }
  });

  it('step-by-step reports move the instance one transaction per step', async () => {
    const fleet = await registerFleet(stack, 1);
    const created = await createUpgrade(stack, fleet, { healthCheckTimeoutSeconds: 30 });
    const [id] = fleet.instanceIds as [string];
    stack.worker.behaviours.set(created.id, () => ({ outcome: CommandOutcome.SUCCEEDED, stepByStep: true }));
    await operate(stack, created.id, 'start');
    await stack.waitForStatus(created.id, ExecutionStatus.COMPLETED);
    const seen = await passagesOf(created.id, id, 4);
    expect(seen.map((p) => p.move)).toEqual(FULL_PASSAGE);
    expect(stack.worker.results.filter((r) => r.executionId === created.id)).toHaveLength(3);
    expect(await row(created.id, id)).toMatchObject({ pending_command_id: null, pending_command_steps: 0 });
  });

  it('a replayed report changes nothing, the whole row included; a late one for a finished command neither', async () => {
    const fleet = await registerFleet(stack, 1);
    const created = await createUpgrade(stack, fleet, { healthCheckTimeoutSeconds: 30 });
    const [id] = fleet.instanceIds as [string];
    // The worker reports the drain, then nothing for now.
    stack.worker.behaviours.set(created.id, () => ({
      outcome: CommandOutcome.SUCCEEDED,
      upTo: InstanceStep.DRAIN,
    }));
    await operate(stack, created.id, 'start');
    await eventually(
      async () => ((await row(created.id, id))['status'] === InstanceStatus.UPGRADING ? true : undefined),
      { what: 'the DRAIN step applied' },
    );
    const [command] = stack.worker.commandsFor(created.id) as [InstanceCommand];
    const drained = await row(created.id, id);
    expect(drained).toMatchObject({ pending_command_id: command.commandId, pending_command_steps: 1 });
    const events = stack.progress.events(created.id).length;

    const [drainReport] = stack.worker.results.filter((r) => r.commandId === command.commandId);
    if (drainReport === undefined) throw new Error('no DRAIN report');
    await stack.worker.send([drainReport, drainReport]);
    await sleep(1500);
    expect(await row(created.id, id)).toEqual(drained);
    expect(stack.progress.events(created.id).length).toBe(events);

    // The rest of the attempt, repeating the drain: applied from where the instance stands.
    const rest = stack.worker.resultFor(command, CommandOutcome.SUCCEEDED, null);
    await stack.worker.send([rest]);
    await stack.waitForStatus(created.id, ExecutionStatus.COMPLETED);
    const seen = await passagesOf(created.id, id, 4);
    expect(seen.map((p) => p.move)).toEqual(FULL_PASSAGE);

    const completed = await row(created.id, id);
    const after = stack.progress.events(created.id).length;
    await stack.worker.send([
      rest,
      {
        ...rest,
        steps: rest.steps.map((s) => ({ ...s, outcome: CommandOutcome.FAILED, reason: 'late' })),
      },
    ]);
    await sleep(1500);
    expect(await row(created.id, id)).toEqual(completed);
    expect(stack.progress.events(created.id).length).toBe(after);
  });

  it('the group deadline issues a silent command again and fails a half-answered one; the superseded answer is ignored', async () => {
    const fleet = await registerFleet(stack, 2);
    const created = await createUpgrade(stack, fleet, {
      batchSize: 2,
      maxUnavailablePercentage: 100,
      healthCheckTimeoutSeconds: 1,
      failureThreshold: 2,
    });
    const [silent, stuck] = fleet.instanceIds as [string, string];
    stack.worker.behaviours.set(created.id, (command) => {
      if (command.instanceId === stuck) {
        return { outcome: CommandOutcome.SUCCEEDED, upTo: InstanceStep.UPGRADE };
      }
      return command.attempt === 1 ? 'drop' : { outcome: CommandOutcome.SUCCEEDED };
    });
    await operate(stack, created.id, 'start');
    const done = await stack.waitForStatus(created.id, ExecutionStatus.FAILED);
    const byId = new Map(done.instances.map((i) => [i.id, i]));
    expect(byId.get(silent)?.status).toBe(InstanceStatus.COMPLETED);
    expect(byId.get(stuck)).toMatchObject({
      status: InstanceStatus.FAILED,
      error: 'no health-check result within 2s',
    });

    const commands = stack.worker.commandsFor(created.id);
    const ofSilent = commands.filter((c) => c.instanceId === silent);
    expect(ofSilent.map((c) => [c.type, c.attempt])).toEqual([
      [InstanceCommandType.UPGRADE, 1],
      [InstanceCommandType.UPGRADE, 2],
    ]);
    expect(commands.filter((c) => c.instanceId === stuck)).toHaveLength(1);
    const transcript = await pg.query<{ line: string }>(
      'SELECT line FROM orchestrator.transcript_line WHERE execution_id = $1',
      [created.id],
    );
    expect(transcript.rows.map((r) => r.line)).toContain(
      `No answer within 2s: issued again to ${fleet.names[0] ?? ''}`,
    );

    // The first command's answer, arriving now, is an answer to a superseded command.
    const [first] = ofSilent as [InstanceCommand];
    const before = await row(created.id, silent);
    const events = stack.progress.events(created.id).length;
    await stack.worker.send([stack.worker.resultFor(first, CommandOutcome.FAILED, 'late')]);
    await sleep(1500);
    expect(await row(created.id, silent)).toEqual(before);
    expect(stack.progress.events(created.id).length).toBe(events);
  });

  it('the recovery sweep arms the deadline of every pending group: a command of the old flow, issued at the epoch, is issued again at once', async () => {
    const fleet = await registerFleet(stack, 1);
    const created = await createUpgrade(stack, fleet, { healthCheckTimeoutSeconds: 60 });
    const [id] = fleet.instanceIds as [string];
    stack.worker.behaviours.set(created.id, (command) =>
      command.attempt === 1 ? 'drop' : { outcome: CommandOutcome.SUCCEEDED },
    );
    await operate(stack, created.id, 'start');
    const [lost] = await eventually(
      () => {
        const commands = stack.worker.commandsFor(created.id);
        return commands.length > 0 ? commands : undefined;
      },
      { what: 'the first UPGRADE command' },
    );
    // What migration OneCommandPerAttempt leaves of a per-step command: an UPGRADE never answered,
    // issued at the epoch, whose deadline no job holds yet. The instance rows change behind the
    // orchestrator's back, so lease_version moves too (no replica trusts its cached rows).
    await pg.query(
      `UPDATE orchestrator.execution_instance SET pending_command_issued_at = 'epoch'
        WHERE execution_id = $1 AND id = $2`,
      [created.id, id],
    );
    await pg.query('UPDATE orchestrator.execution SET lease_version = lease_version + 1 WHERE id = $1', [
      created.id,
    ]);
    await stack.orchestrator.app.get(RecoverySweeper).sweep();
    await stack.waitForStatus(created.id, ExecutionStatus.COMPLETED);
    const commands = stack.worker.commandsFor(created.id);
    expect(commands.map((c) => c.attempt)).toEqual([1, 2]);
    expect(commands[1]?.fencingToken).toBeGreaterThan(lost?.fencingToken ?? Infinity);
  });

  it('fencing tokens grow with every command to an instance: re-issue, rollback, and the next execution', async () => {
    const fleet = await registerFleet(stack, 2);
    const [reissued, failing] = fleet.instanceIds as [string, string];
    const first = await createUpgrade(stack, fleet, {
      batchSize: 1,
      maxUnavailablePercentage: 50,
      healthCheckTimeoutSeconds: 1,
      autoRollbackEnabled: true,
      failureThreshold: 1,
    });
    // The first instance's first UPGRADE is lost, the re-issue succeeds; the second instance's UPGRADE
    // fails, which rolls both back.
    stack.worker.behaviours.set(first.id, (command) => {
      if (command.type === InstanceCommandType.UPGRADE && command.instanceId === reissued) {
        return command.attempt === 1 ? 'drop' : { outcome: CommandOutcome.SUCCEEDED };
      }
      if (command.type === InstanceCommandType.UPGRADE) {
        return { outcome: CommandOutcome.FAILED, reason: 'disk full' };
      }
      return { outcome: CommandOutcome.SUCCEEDED };
    });
    await operate(stack, first.id, 'start');
    await stack.waitForStatus(first.id, ExecutionStatus.ROLLED_BACK);

    // The registry has both instances back on the previous version before the next execution starts.
    await eventually(
      async () => {
        const res = await fetch(
          `${stack.registry.url}/api/v1/registry/tenants/${fleet.tenantId}/instances?componentId=${fleet.componentId}&versionId=${fleet.fromVersionId}`,
          { headers: { authorization: `Bearer ${stack.adminToken}` } },
        );
        return ((await res.json()) as unknown[]).length === 2 ? true : undefined;
      },
      { what: 'the registry to learn the rollback' },
    );
    const second = await createUpgrade(stack, fleet, { batchSize: 1, healthCheckTimeoutSeconds: 30 });
    await operate(stack, second.id, 'start');
    await stack.waitForStatus(second.id, ExecutionStatus.COMPLETED);

    for (const [id, types] of [
      [reissued, ['UPGRADE', 'UPGRADE', 'ROLLBACK', 'UPGRADE']],
      [failing, ['UPGRADE', 'ROLLBACK', 'UPGRADE']],
    ] as const) {
      // Commands to one instance share its partition: the test worker took them in the order issued.
      const sent = [first.id, second.id].flatMap((e) =>
        stack.worker.commandsFor(e).filter((c) => c.instanceId === id),
      );
      expect(sent.map((c) => c.type)).toEqual(types);
      const tokens = sent.map((c) => c.fencingToken);
      for (let i = 1; i < tokens.length; i += 1) {
        expect(tokens[i]).toBeGreaterThan(tokens[i - 1] ?? Infinity);
      }
      expect(Number((await row(second.id, id))['fencing_token'])).toBe(tokens[tokens.length - 1]);
    }
  });
});
