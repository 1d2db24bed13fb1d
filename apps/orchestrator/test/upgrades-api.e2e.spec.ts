import { CommandOutcome, ExecutionStatus, InstanceCommandType } from '@upshift/contracts';
import type { UpgradeExecutionView } from '@upshift/contracts';
import { EXECUTION_EVENTS, ALL_EXECUTION_OPERATIONS, allowedOperations } from '@upshift/domain';
import { eventually } from '@upshift/testing';
import { registerFleet } from './support/fleet-fixture';
import type { Fleet } from './support/fleet-fixture';
import { TestStack } from './support/stack';
import { createUpgrade, operate, sleep } from './support/upgrades';

interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  errors?: { field: string; message: string }[];
  currentStatus?: string;
  allowedOperations?: string[];
  blockers?: { code: string; message: string }[];
}

/**
 * Seed 003's REST contract over HTTP: every transition of its table, every refused operation (409,
 * status unchanged), 400/404/422, paging, statistics, transcript, the registry proxy and health.
 */
describe('orchestrator REST API (e2e)', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await TestStack.start('orch_api');
  });

  afterAll(async () => {
    await stack?.stop();
  });

  /** Asserts that every operation the table does not allow now is refused with 409 and changes nothing. */
  async function refusesInvalidOperations(executionId: string): Promise<void> {
    const before = await stack.execution(executionId);
    const allowed = allowedOperations(before.status);
    for (const operation of ALL_EXECUTION_OPERATIONS.filter((op) => !allowed.includes(op))) {
      const res = await stack.request<Problem>('POST', `/upgrades/${executionId}/${operation}`);
      expect({ operation, status: res.status }).toEqual({ operation, status: 409 });
      expect(res.contentType).toContain('application/problem+json');
      expect(res.body.currentStatus).toBe(before.status);
      expect(res.body.allowedOperations).toEqual(allowed);
      expect(res.body.detail).toContain(before.status);
    }
    const after = await stack.execution(executionId);
    expect(after.status).toBe(before.status);
  }

  describe('creating an execution', () => {
    let fleet: Fleet;

    beforeAll(async () => {
      fleet = await registerFleet(stack, 3);
    });

    it('POST answers 201 with the execution, every seed default applied', async () => {
      const res = await stack.request<UpgradeExecutionView>('POST', `/tenants/${fleet.tenantId}/upgrades`, {
        componentId: fleet.componentId,
        fromVersionId: fleet.fromVersionId,
        toVersionId: fleet.toVersionId,
        totalInstances: 3,
      });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({
        tenantId: fleet.tenantId,
        componentId: fleet.componentId,
        fromVersionId: fleet.fromVersionId,
        toVersionId: fleet.toVersionId,
        strategy: 'ROLLING',
        canaryPercentage: 10,
        batchSize: 5,
        batchDelaySeconds: 60,
        healthCheckIntervalSeconds: 30,
        healthCheckTimeoutSeconds: 300,
        maxUnavailablePercentage: 25,
        totalInstances: 3,
        autoRollbackEnabled: false,
        failureThreshold: 3,
        initiatedBy: null,
        installedComponents: {},
        status: 'PENDING',
        completedInstances: 0,
        failedInstances: 0,
        currentBatch: 0,
        totalBatches: 3,
        validationResults: [],
        startedAt: null,
        completedAt: null,
        rollbackInfo: {
          autoRollbackEnabled: false,
          failureThreshold: 3,
          currentFailures: 0,
          rollbackReason: null,
          rollbackInitiatedAt: null,
          rollbackInitiatedBy: null,
          rolledBackInstances: [],
        },
      });
      expect(res.body.instances.map((i) => i.id)).toEqual(fleet.instanceIds);
      expect(res.body.instances.every((i) => i.status === 'PENDING' && i.batch === null)).toBe(true);
      await refusesInvalidOperations(res.body.id);

      // Only one active execution per tenant and component: 409 naming it.
      const again = await stack.request<Problem & { activeExecutionId: string }>(
        'POST',
        `/tenants/${fleet.tenantId}/upgrades`,
        {
          componentId: fleet.componentId,
          fromVersionId: fleet.fromVersionId,
          toVersionId: fleet.toVersionId,
          totalInstances: 3,
        },
      );
      expect(again.status).toBe(409);
      expect(again.body.activeExecutionId).toBe(res.body.id);
      expect(again.body.detail).toContain(res.body.id);

      const active = await stack.request<UpgradeExecutionView>(
        'GET',
        `/tenants/${fleet.tenantId}/components/${fleet.componentId}/upgrades/active`,
      );
      expect(active.status).toBe(200);
      expect(active.body.id).toBe(res.body.id);

      expect((await operate(stack, res.body.id, 'cancel')).body.status).toBe('CANCELLED');
      const none = await stack.request<Problem>(
        'GET',
        `/tenants/${fleet.tenantId}/components/${fleet.componentId}/upgrades/active`,
      );
      expect(none.status).toBe(404);
      await refusesInvalidOperations(res.body.id);
    });

    it('400 names each invalid field, and unknown fields', async () => {
      const res = await stack.request<Problem>('POST', `/tenants/${fleet.tenantId}/upgrades`, {
        componentId: 'not-a-uuid',
        fromVersionId: fleet.fromVersionId,
        toVersionId: fleet.toVersionId,
        strategy: 'YOLO',
        batchSize: 0,
        surprise: true,
      });
      expect(res.status).toBe(400);
      expect(res.contentType).toContain('application/problem+json');
      const fields = new Set(res.body.errors?.map((e) => e.field));
      expect(fields).toEqual(new Set(['componentId', 'strategy', 'batchSize', 'surprise']));
    });

    it('422 when there are fewer instances than asked, saying how many exist', async () => {
      const res = await stack.request<Problem>('POST', `/tenants/${fleet.tenantId}/upgrades`, {
        componentId: fleet.componentId,
        fromVersionId: fleet.fromVersionId,
        toVersionId: fleet.toVersionId,
        totalInstances: 7,
      });
      expect(res.status).toBe(422);
      expect(res.body.detail).toMatch(/has only 3 instance/);
    });

    it('422 listing the registry blockers (a downgrade to the same version)', async () => {
      const res = await stack.request<Problem>('POST', `/tenants/${fleet.tenantId}/upgrades`, {
        componentId: fleet.componentId,
        fromVersionId: fleet.fromVersionId,
        toVersionId: fleet.fromVersionId,
        totalInstances: 1,
      });
      expect(res.status).toBe(422);
      expect(res.body.blockers?.length).toBeGreaterThan(0);
    });

    it("422 when a version is not the component's", async () => {
      const other = await registerFleet(stack, 1);
      const res = await stack.request<Problem>('POST', `/tenants/${fleet.tenantId}/upgrades`, {
        componentId: fleet.componentId,
        fromVersionId: fleet.fromVersionId,
        toVersionId: other.toVersionId,
        totalInstances: 1,
      });
      expect(res.status).toBe(422);
      expect(res.body.detail).toContain(other.toVersionId);
    });

    it('400 names the field of a malformed rollback body, reason or X-Initiated-By; the execution is unchanged', async () => {
      const other = await registerFleet(stack, 1);
      const created = await createUpgrade(stack, other, { totalInstances: 1 });
      const path = `/upgrades/${created.id}/rollback`;
      const cases: [string, Awaited<ReturnType<typeof stack.request<Problem>>>][] = [
        ['initiatedBy', await stack.request<Problem>('POST', path, { initiatedBy: 42 })],
        ['surprise', await stack.request<Problem>('POST', path, { surprise: true })],
        ['reason', await stack.request<Problem>('POST', `${path}?reason=`)],
        [
          'X-Initiated-By',
          await stack.request<Problem>('POST', path, undefined, { 'x-initiated-by': 'x'.repeat(300) }),
        ],
      ];
      for (const [field, res] of cases) {
        expect([field, res.status, res.contentType]).toEqual([
          field,
          400,
          expect.stringContaining('application/problem+json'),
        ]);
        expect(res.body.errors?.map((e) => e.field)).toContain(field);
      }
      expect((await stack.execution(created.id)).status).toBe(ExecutionStatus.PENDING);
    });

    it('413 as problem+json for a body over the size limit, not a 500', async () => {
      const res = await stack.request<Problem>('POST', `/tenants/${fleet.tenantId}/upgrades`, {
        componentId: fleet.componentId,
        initiatedBy: 'x'.repeat(200_000),
      });
      expect(res.status).toBe(413);
      expect(res.contentType).toContain('application/problem+json');
      expect(res.body.title).toBe('Payload too large');
    });

    it('404 for statistics of a component id that cannot exist', async () => {
      expect((await stack.request('GET', '/components/not-a-uuid/upgrade-statistics')).status).toBe(404);
    });

    it('404 for an unknown execution, for GET and for every operation', async () => {
      const id = '00000000-0000-4000-8000-000000000000';
      expect((await stack.request('GET', `/upgrades/${id}`)).status).toBe(404);
      expect((await stack.request('GET', `/upgrades/${id}/transcript`)).status).toBe(404);
      for (const operation of ALL_EXECUTION_OPERATIONS) {
        expect((await stack.request('POST', `/upgrades/${id}/${operation}`)).status).toBe(404);
      }
      expect((await stack.request('GET', `/upgrades/not-an-id`)).status).toBe(404);
    });
  });

  it('walks every transition of the seed table over HTTP, refusing every other operation on the way', async () => {
    const seen = new Set<string>();
    const record = async (id: string) => {
      const events = await eventually(
        async () => {
          const view = await stack.execution(id);
          const list = stack.progress.events(id);
          const last = list.filter((e) => e.data.kind === 'ExecutionStatusChanged').pop();
          return last?.data.kind === 'ExecutionStatusChanged' && last.data.to === view.status
            ? list
            : undefined;
        },
        { what: `progress of ${id} to catch up` },
      );
      for (const e of events)
        if (e.data.kind === 'ExecutionStatusChanged') seen.add(`${e.data.from}->${e.data.to}`);
    };
    const fresh = async (count: number, overrides: Record<string, unknown> = {}) => {
      const fleet = await registerFleet(stack, count);
      return { fleet, execution: await createUpgrade(stack, fleet, overrides) };
    };
    const settle = async (id: string, status: string) => {
      await stack.waitForStatus(id, status);
      await refusesInvalidOperations(id);
    };
    const onHold = new Set<string>();
    const hold = (executionId: string, types: InstanceCommandType[]) =>
      stack.worker.behaviours.set(executionId, (c) => {
        if (types.includes(c.type) && onHold.has(executionId)) return 'drop';
        return { outcome: CommandOutcome.SUCCEEDED };
      });

    // PENDING → VALIDATING → IN_PROGRESS → PAUSED → IN_PROGRESS → COMPLETED
    {
      const { execution } = await fresh(4, { batchSize: 1, batchDelaySeconds: 1 });
      await operate(stack, execution.id, 'start');
      await stack.waitForStatus(execution.id, ExecutionStatus.IN_PROGRESS);
      await refusesInvalidOperations(execution.id);
      await operate(stack, execution.id, 'pause');
      await settle(execution.id, ExecutionStatus.PAUSED);
      await operate(stack, execution.id, 'resume');
      await settle(execution.id, ExecutionStatus.COMPLETED);
      await record(execution.id);
    }
    // PENDING → CANCELLED, already covered above; IN_PROGRESS → CANCELLED; PAUSED → CANCELLED
    for (const viaPause of [false, true]) {
      const { execution } = await fresh(2, { batchSize: 1 });
      onHold.add(execution.id);
      hold(execution.id, [InstanceCommandType.DRAIN]);
      await operate(stack, execution.id, 'start');
      await stack.waitForStatus(execution.id, ExecutionStatus.IN_PROGRESS);
      if (viaPause) await operate(stack, execution.id, 'pause');
      await operate(stack, execution.id, 'cancel');
      await settle(execution.id, ExecutionStatus.CANCELLED);
      await record(execution.id);
    }
    {
      const { execution } = await fresh(1);
      await operate(stack, execution.id, 'cancel');
      await record(execution.id);
    }
    // VALIDATING holds while the agents take their time: every operation is refused there (ADR 0001)
    {
      const { fleet, execution } = await fresh(1);
      let release: () => void = () => undefined;
      stack.agents.set(fleet.names[0] ?? '', { answersAfter: new Promise<void>((r) => (release = r)) });
      expect((await operate(stack, execution.id, 'start')).body.status).toBe(ExecutionStatus.VALIDATING);
      await refusesInvalidOperations(execution.id);
      release();
      await settle(execution.id, ExecutionStatus.COMPLETED);
      await record(execution.id);
    }
    // VALIDATING → FAILED: an instance without a backup, another without free disk
    {
      const { fleet, execution } = await fresh(2);
      stack.agents.set(fleet.names[0] ?? '', {
        capacity: { cpuPercentFree: 40, memoryMbFree: 512, diskMbFree: 0 },
      });
      stack.agents.set(fleet.names[1] ?? '', { lastBackupAt: null });
      await operate(stack, execution.id, 'start');
      const failed = await stack.waitForStatus(execution.id, ExecutionStatus.FAILED);
      const check = (name: string) => failed.validationResults.find((v) => v.check === name);
      expect(check('BACKUP_VERIFICATION')?.passed).toBe(false);
      expect(check('RESOURCE_AVAILABILITY')).toMatchObject({ passed: false });
      expect(JSON.stringify(check('RESOURCE_AVAILABILITY'))).toContain('disk 0 MB free');
      expect(check('HEALTH_ENDPOINTS')?.passed).toBe(true);
      await refusesInvalidOperations(execution.id);
      await record(execution.id);
    }
    // IN_PROGRESS → ROLLING_BACK (manual, ?reason=) → ROLLED_BACK
    {
      const { execution } = await fresh(4, { batchSize: 1, batchDelaySeconds: 30 });
      await operate(stack, execution.id, 'start');
      await eventually(async () =>
        (await stack.execution(execution.id)).completedInstances === 1 ? true : undefined,
      );
      const res = await stack.request<UpgradeExecutionView>(
        'POST',
        `/upgrades/${execution.id}/rollback?reason=Manual+rollback`,
        { initiatedBy: 'ops@upshift.dev' },
      );
      expect(res.status).toBe(200);
      expect(res.body.rollbackInfo).toMatchObject({
        rollbackReason: 'Manual rollback',
        rollbackInitiatedBy: 'ops@upshift.dev',
      });
      const done = await settle(execution.id, ExecutionStatus.ROLLED_BACK).then(() =>
        stack.execution(execution.id),
      );
      expect(done.rollbackInfo?.rolledBackInstances).toHaveLength(1);
      await record(execution.id);
    }
    // ROLLING_BACK (held: every operation refused there) → FAILED: a rollback that fails
    {
      const { execution } = await fresh(2, { batchSize: 1, batchDelaySeconds: 30 });
      stack.worker.behaviours.set(execution.id, (c) =>
        c.type === InstanceCommandType.ROLLBACK ? 'drop' : { outcome: CommandOutcome.SUCCEEDED },
      );
      await operate(stack, execution.id, 'start');
      await eventually(async () =>
        (await stack.execution(execution.id)).completedInstances === 1 ? true : undefined,
      );
      await operate(stack, execution.id, 'rollback');
      const rollback = await eventually(() =>
        stack.worker.commandsFor(execution.id).find((c) => c.type === InstanceCommandType.ROLLBACK),
      );
      await settle(execution.id, ExecutionStatus.ROLLING_BACK);
      await stack.worker.send([stack.worker.resultFor(rollback, CommandOutcome.FAILED, 'agent refused')]);
      await settle(execution.id, ExecutionStatus.FAILED);
      await record(execution.id);
    }
    // IN_PROGRESS → FAILED: threshold reached without auto-rollback (HALT)
    {
      const { execution } = await fresh(2, { batchSize: 1, failureThreshold: 1 });
      stack.worker.behaviours.set(execution.id, (c) =>
        c.type === InstanceCommandType.UPGRADE
          ? { outcome: CommandOutcome.FAILED }
          : { outcome: CommandOutcome.SUCCEEDED },
      );
      await operate(stack, execution.id, 'start');
      await settle(execution.id, ExecutionStatus.FAILED);
      await record(execution.id);
    }
    // VALIDATING → CANARY_RUNNING → CANARY_MONITORING → IN_PROGRESS (promote) → COMPLETED
    {
      const { execution } = await fresh(4, { strategy: 'CANARY', canaryPercentage: 25 });
      await operate(stack, execution.id, 'start');
      await settle(execution.id, ExecutionStatus.CANARY_MONITORING);
      await operate(stack, execution.id, 'promote-canary');
      await settle(execution.id, ExecutionStatus.COMPLETED);
      await record(execution.id);
    }
    // CANARY_MONITORING → ROLLING_BACK (manual) and → CANCELLED
    for (const operation of ['rollback', 'cancel']) {
      const { execution } = await fresh(4, { strategy: 'CANARY', canaryPercentage: 25 });
      await operate(stack, execution.id, 'start');
      await stack.waitForStatus(execution.id, ExecutionStatus.CANARY_MONITORING);
      await operate(stack, execution.id, operation);
      await settle(
        execution.id,
        operation === 'rollback' ? ExecutionStatus.ROLLED_BACK : ExecutionStatus.CANCELLED,
      );
      await record(execution.id);
    }
    // CANARY_RUNNING → PAUSED, and CANARY_RUNNING → CANCELLED (canary drain held)
    for (const operation of ['pause', 'cancel']) {
      const { execution } = await fresh(4, { strategy: 'CANARY', canaryPercentage: 25 });
      onHold.add(execution.id);
      hold(execution.id, [InstanceCommandType.DRAIN]);
      await operate(stack, execution.id, 'start');
      await stack.waitForStatus(execution.id, ExecutionStatus.CANARY_RUNNING);
      await refusesInvalidOperations(execution.id);
      await operate(stack, execution.id, operation);
      await settle(execution.id, operation === 'pause' ? ExecutionStatus.PAUSED : ExecutionStatus.CANCELLED);
      if (operation === 'pause') await operate(stack, execution.id, 'cancel');
      await record(execution.id);
    }
    // CANARY_RUNNING → FAILED: the canary fails, threshold 1, no auto-rollback
    {
      const { execution } = await fresh(4, { strategy: 'CANARY', canaryPercentage: 25, failureThreshold: 1 });
      stack.worker.behaviours.set(execution.id, (c) =>
        c.type === InstanceCommandType.UPGRADE
          ? { outcome: CommandOutcome.FAILED }
          : { outcome: CommandOutcome.SUCCEEDED },
      );
      await operate(stack, execution.id, 'start');
      await settle(execution.id, ExecutionStatus.FAILED);
      await record(execution.id);
    }

    const expected = EXECUTION_EVENTS.map((e) => `${e.from}->${e.to}`);
    const missing = [...new Set(expected)].filter((edge) => !seen.has(edge));
    expect(missing).toEqual([]);
    const unexpected = [...seen].filter((edge) => !expected.includes(edge));
    expect(unexpected).toEqual([]);
  });

  it("lists a tenant's executions newest first, paged and filtered by status", async () => {
    const fleet = await registerFleet(stack, 1);
    const ids: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      const e = await createUpgrade(stack, fleet, { totalInstances: 1 });
      ids.push(e.id);
      await operate(stack, e.id, 'cancel');
      await sleep(5);
    }
    const page0 = await stack.request<{
      content: UpgradeExecutionView[];
      totalElements: number;
      totalPages: number;
    }>('GET', `/tenants/${fleet.tenantId}/upgrades?page=0&size=2`);
    expect(page0.status).toBe(200);
    expect(page0.body.content.map((e) => e.id)).toEqual([ids[2], ids[1]]);
    expect(page0.body.totalElements).toBe(3);
    expect(page0.body.totalPages).toBe(2);
    const filtered = await stack.request<{ content: UpgradeExecutionView[] }>(
      'GET',
      `/tenants/${fleet.tenantId}/upgrades?status=COMPLETED`,
    );
    expect(filtered.body.content).toEqual([]);
    expect((await stack.request('GET', `/tenants/${fleet.tenantId}/upgrades?status=NOPE`)).status).toBe(400);
  });

  it('serves statistics from the domain and a transcript per execution', async () => {
    const fleet = await registerFleet(stack, 2);
    const e = await createUpgrade(stack, fleet);
    await operate(stack, e.id, 'start');
    await stack.waitForStatus(e.id, ExecutionStatus.COMPLETED);
    const stats = await stack.request<Record<string, number | string>>(
      'GET',
      `/components/${fleet.componentId}/upgrade-statistics`,
    );
    expect(stats.body).toMatchObject({
      componentId: fleet.componentId,
      totalExecutions: 1,
      successfulExecutions: 1,
      failedExecutions: 0,
      successRate: 100,
    });
    const transcript = await stack.request<{ lines: { at: string; line: string }[] }>(
      'GET',
      `/upgrades/${e.id}/transcript`,
    );
    const text = transcript.body.lines.map((l) => l.line).join('\n');
    expect(text).toMatch(/Execution created/);
    expect(text).toMatch(/Check VERSION_COMPATIBILITY passed/);
    expect(text).toMatch(/Batch 1 .*started/);
    expect(text).toMatch(/COMPLETED/);
  });

  it("serves the registry's paths at the same base URL, OpenAPI and health", async () => {
    const components = await fetch(`${stack.api}/components`);
    expect(components.status).toBe(200);
    const docs = await fetch(`${stack.orchestrator.url}/api/docs-json`);
    expect(docs.status).toBe(200);
    // Response shapes come from the contracts: the seed's field names, resolvable $refs.
    const openapi = (await docs.json()) as {
      paths: Record<string, Record<string, { responses: Record<string, { content?: unknown }> }>>;
      components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
    };
    const refOf = (path: string, method: string, status: string) =>
      JSON.stringify(openapi.paths[`/api/v1/registry${path}`]?.[method]?.responses[status]?.content);
    expect(refOf('/upgrades/{executionId}', 'get', '200')).toContain(
      '#/components/schemas/UpgradeExecutionView',
    );
    expect(refOf('/upgrades/{executionId}/pause', 'post', '409')).toContain(
      '#/components/schemas/ProblemDetails',
    );
    expect(refOf('/tenants/{tenantId}/upgrades', 'post', '201')).toContain('UpgradeExecutionView');
    expect(refOf('/components/{componentId}/upgrade-statistics', 'get', '200')).toContain(
      'ExecutionStatistics',
    );
    expect(
      Object.keys(
        (
          openapi.components.schemas['UpgradeExecutionView']?.properties?.['rollbackInfo'] as {
            anyOf: { properties?: Record<string, unknown> }[];
          }
        ).anyOf[0]?.properties ?? {},
      ),
    ).toEqual([
      'autoRollbackEnabled',
      'failureThreshold',
      'currentFailures',
      'rollbackReason',
      'rollbackInitiatedAt',
      'rollbackInitiatedBy',
      'rolledBackInstances',
    ]);
    expect(Object.keys(openapi.components.schemas['ExecutionStatistics']?.properties ?? {})).toEqual([
      'componentId',
      'totalExecutions',
      'successfulExecutions',
      'failedExecutions',
      'successRate',
      'averageDurationSeconds',
    ]);
    expect((await fetch(`${stack.orchestrator.url}/health/live`)).status).toBe(200);
    const ready = await fetch(`${stack.orchestrator.url}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ok' });
  });
});
