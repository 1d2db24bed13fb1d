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
  operation?: string;
  availableInstances?: number;
  requestedInstances?: number;
}

/**
 * The REST contract of docs/api-contract.md over HTTP: every transition of its table, every refused operation (409,
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

    it('POST answers 201 with the execution, every default applied', async () => {
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
      // Not a component id at all, a NUL byte included (PostgreSQL refuses those in text): 404, not 500.
      for (const componentId of ['not-a-uuid', '%00']) {
        const unknown = await stack.request<Problem>(
          'GET',
          `/tenants/${fleet.tenantId}/components/${componentId}/upgrades/active`,
        );
        expect({ componentId, status: unknown.status }).toEqual({ componentId, status: 404 });
      }
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

    it('400 says a missing id is required, and nothing else about it', async () => {
      const res = await stack.request<Problem>('POST', `/tenants/${fleet.tenantId}/upgrades`, {
        fromVersionId: fleet.fromVersionId,
        toVersionId: fleet.toVersionId,
      });
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual([{ field: 'componentId', message: 'componentId is required' }]);
      expect(res.body.detail).not.toContain('UUID');
    });

    it('415 for a body that is not JSON, in both services; body-less operations need no content type', async () => {
      const json = JSON.stringify({
        componentId: fleet.componentId,
        fromVersionId: fleet.fromVersionId,
        toVersionId: fleet.toVersionId,
        totalInstances: 1,
      });
      const post = (url: string, headers: Record<string, string>, body: string | Uint8Array) =>
        fetch(url, {
          method: 'POST',
          headers: { authorization: `Bearer ${stack.adminToken}`, ...headers },
          body,
        });
      const create = `${stack.api}/tenants/${fleet.tenantId}/upgrades`;
      const before = await stack.request<{ totalElements: number }>(
        'GET',
        `/tenants/${fleet.tenantId}/upgrades`,
      );
      const answers: [string, Response][] = [
        ['text/plain', await post(create, { 'content-type': 'text/plain' }, json)],
        // A byte body: fetch sends no Content-Type at all.
        ['no content type', await post(create, {}, Buffer.from(json))],
        [
          'a form',
          await post(create, { 'content-type': 'application/x-www-form-urlencoded' }, 'totalInstances=1'),
        ],
        // A registry path: the proxy forwards it untouched and the registry answers for itself.
        [
          'text/plain to the registry',
          await post(
            `${stack.api}/components`,
            { 'content-type': 'text/plain' },
            '{"name":"x","kind":"service"}',
          ),
        ],
      ];
      for (const [label, res] of answers) {
        const problem = (await res.json()) as Problem;
        expect([label, res.status, res.headers.get('content-type')]).toEqual([
          label,
          415,
          expect.stringContaining('application/problem+json'),
        ]);
        expect(problem.type).toBe('urn:upshift:problem:unsupported-media-type');
        expect(problem.detail).toContain('send it with Content-Type: application/json');
        expect(problem.errors).toBeUndefined();
      }
      const after = await stack.request<{ totalElements: number }>(
        'GET',
        `/tenants/${fleet.tenantId}/upgrades`,
      );
      expect(after.body.totalElements).toBe(before.body.totalElements);

      // JSON with parameters goes through; body-less operations work with no content type, or a stray one.
      const created = await post(create, { 'content-type': 'application/json; charset=utf-8' }, json);
      expect(created.status).toBe(201);
      const { id } = (await created.json()) as UpgradeExecutionView;
      const cancel = await fetch(`${stack.api}/upgrades/${id}/cancel`, {
        method: 'POST',
        headers: { authorization: `Bearer ${stack.adminToken}`, 'content-type': 'text/plain' },
      });
      expect(cancel.status).toBe(200);
      expect((await operate(stack, id, 'pause')).status).toBe(409);
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

    it('413 as problem+json for a body over 256 KiB, not a 500; a body under it is read', async () => {
      const res = await stack.request<Problem>('POST', `/tenants/${fleet.tenantId}/upgrades`, {
        componentId: fleet.componentId,
        initiatedBy: 'x'.repeat(256 * 1024),
      });
      expect(res.status).toBe(413);
      expect(res.contentType).toContain('application/problem+json');
      expect(res.body.title).toBe('Payload too large');
      expect(res.body.detail).toMatch(/256 KiB/);
      const under = await stack.request<Problem>('POST', `/tenants/${fleet.tenantId}/upgrades`, {
        componentId: fleet.componentId,
        initiatedBy: 'x'.repeat(200_000),
      });
      expect(under.status).toBe(400);
      expect(under.body.errors?.map((e) => e.field)).toContain('initiatedBy');
    });

    it('404 for statistics of a component id that cannot exist, or that the registry does not know', async () => {
      expect((await stack.request('GET', '/components/not-a-uuid/upgrade-statistics')).status).toBe(404);
      const unknown = '00000000-0000-4000-8000-00000000c0de';
      const res = await stack.request<Problem>('GET', `/components/${unknown}/upgrade-statistics`);
      expect(res.status).toBe(404);
      expect(res.contentType).toContain('application/problem+json');
      expect(res.body).toMatchObject({
        type: 'urn:upshift:problem:not-found',
        detail: `Component ${unknown} does not exist`,
      });
      const known = await stack.request('GET', `/components/${fleet.componentId}/upgrade-statistics`);
      expect(known.status).toBe(200);
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

  it('walks every transition of the contract table over HTTP, refusing every other operation on the way', async () => {
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
      hold(execution.id, [InstanceCommandType.UPGRADE]);
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
      // Who acted is the token's subject; the body's free-text initiatedBy goes to the audit record.
      expect(res.body.rollbackInfo).toMatchObject({
        rollbackReason: 'Manual rollback',
        rollbackInitiatedBy: 'test-admin',
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
      hold(execution.id, [InstanceCommandType.UPGRADE]);
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

  it('POST start twice: the second, during VALIDATING, says the checks are still running', async () => {
    const fleet = await registerFleet(stack, 1);
    const execution = await createUpgrade(stack, fleet);
    // The agent holds its answers: the pre-upgrade checks, and so VALIDATING, last until released.
    let release: () => void = () => undefined;
    stack.agents.set(fleet.names[0] ?? '', { answersAfter: new Promise<void>((r) => (release = r)) });
    try {
      expect((await operate(stack, execution.id, 'start')).body.status).toBe(ExecutionStatus.VALIDATING);
      const again = await stack.request<Problem>('POST', `/upgrades/${execution.id}/start`);
      expect(again.status).toBe(409);
      expect(again.body).toMatchObject({
        type: 'urn:upshift:problem:invalid-status-transition',
        currentStatus: ExecutionStatus.VALIDATING,
        allowedOperations: allowedOperations(ExecutionStatus.VALIDATING),
        operation: 'start',
      });
      expect(again.body.allowedOperations).toEqual([]);
      expect(again.body.detail).toContain('The pre-upgrade checks are still running');
      expect(again.body.detail).not.toContain('finished');
      expect((await stack.execution(execution.id)).status).toBe(ExecutionStatus.VALIDATING);
    } finally {
      release();
    }
    await stack.waitForStatus(execution.id, ExecutionStatus.COMPLETED);
  });

  it('422 for the same request sent again: no instance is on the from-version any more, and where they are', async () => {
    const fleet = await registerFleet(stack, 3);
    const first = await createUpgrade(stack, fleet);
    await operate(stack, first.id, 'start');
    await stack.waitForStatus(first.id, ExecutionStatus.COMPLETED);
    // The registry learns the instances' new version once the execution records it.
    await eventually(async () => {
      const res = await stack.request<{ versionId: string }[]>(
        'GET',
        `/tenants/${fleet.tenantId}/instances?componentId=${fleet.componentId}`,
      );
      return res.body.every((i) => i.versionId === fleet.toVersionId) ? true : undefined;
    });
    const again = await stack.request<Problem>('POST', `/tenants/${fleet.tenantId}/upgrades`, {
      componentId: fleet.componentId,
      fromVersionId: fleet.fromVersionId,
      toVersionId: fleet.toVersionId,
      totalInstances: 3,
    });
    expect(again.status).toBe(422);
    expect(again.body.detail).toMatch(
      new RegExp(
        `none of tenant ${fleet.tenantId}'s 3 instance\\(s\\) of svc-[0-9a-f]{8} is on 1\\.0\\.0 any more: 3 are on 1\\.1\\.0`,
      ),
    );
    expect(again.body.detail).not.toContain('at most 0');
    expect(again.body).toMatchObject({ availableInstances: 0, requestedInstances: 3 });
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

  it('serves statistics from the domain (a cancelled execution is no failure) and a transcript per execution', async () => {
    const fleet = await registerFleet(stack, 2);
    const cancelled = await createUpgrade(stack, fleet);
    await operate(stack, cancelled.id, 'cancel');
    const e = await createUpgrade(stack, fleet);
    await operate(stack, e.id, 'start');
    await stack.waitForStatus(e.id, ExecutionStatus.COMPLETED);
    const stats = await stack.request<Record<string, number | string>>(
      'GET',
      `/components/${fleet.componentId}/upgrade-statistics`,
    );
    expect(stats.body).toMatchObject({
      componentId: fleet.componentId,
      totalExecutions: 2,
      successfulExecutions: 1,
      failedExecutions: 0,
      successRate: 100,
    });
    // The largest page holds this whole transcript (ADR 0076).
    const transcript = await stack.request<{ lines: { at: string; line: string }[]; next: string | null }>(
      'GET',
      `/upgrades/${e.id}/transcript?limit=500`,
    );
    expect(transcript.body.next).toBeNull();
    const text = transcript.body.lines.map((l) => l.line).join('\n');
    expect(text).toMatch(/Execution created/);
    expect(text).toMatch(/Check VERSION_COMPATIBILITY passed/);
    expect(text).toMatch(/Batch 1 .*started/);
    expect(text).toMatch(/COMPLETED/);
  });

  it('503 for statistics while the registry cannot be asked: an outage is neither a 404 nor zeros', async () => {
    const fleet = await registerFleet(stack, 1);
    // A second replica whose registry never answers (port 1); the stack's own keeps working.
    const cut = await stack.startOrchestrator({ REGISTRY_URL: 'http://127.0.0.1:1' });
    try {
      const res = await fetch(
        `${cut.url}/api/v1/registry/components/${fleet.componentId}/upgrade-statistics`,
        { headers: { authorization: `Bearer ${stack.adminToken}` } },
      );
      expect(res.status).toBe(503);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(((await res.json()) as Problem).type).toBe('urn:upshift:problem:unavailable');
    } finally {
      await cut.close();
    }
  });

  it("serves the registry's paths at the same base URL, OpenAPI and health", async () => {
    const components = await fetch(`${stack.api}/components`, {
      headers: { authorization: `Bearer ${stack.adminToken}` },
    });
    expect(components.status).toBe(200);
    const docs = await fetch(`${stack.orchestrator.url}/api/docs-json`);
    expect(docs.status).toBe(200);
    // Response shapes come from the contracts: the contract's field names, resolvable $refs.
    const openapi = (await docs.json()) as {
      paths: Record<
        string,
        Record<
          string,
          { responses: Record<string, { content?: Record<string, unknown> }>; security?: unknown[] }
        >
      >;
      components: {
        schemas: Record<string, { properties?: Record<string, unknown> }>;
        securitySchemes?: Record<string, unknown>;
      };
      security?: unknown[];
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

    // One document for the one base URL: the registry's paths are in it too, with its schemas.
    const paths = Object.keys(openapi.paths);
    expect(paths).toEqual(
      expect.arrayContaining([
        '/api/v1/registry/tenants/{tenantId}/upgrades',
        '/api/v1/registry/upgrades/{executionId}/start',
        '/api/v1/registry/components',
        '/api/v1/registry/components/{componentId}/versions/{versionId}/publish',
        '/api/v1/registry/components/{componentId}/upgrade-path/validate',
        '/api/v1/registry/tenants/{tenantId}/instances',
      ]),
    );
    expect(refOf('/components', 'post', '201')).toContain('#/components/schemas/ComponentView');
    expect(openapi.components.schemas).toHaveProperty('ComponentView');
    expect(openapi.components.securitySchemes).toHaveProperty('bearer');
    expect(openapi.security).toEqual([{ bearer: [] }]);
    // The problem schemas, with every extension member their answers carry.
    expect(Object.keys(openapi.components.schemas['ProblemDetails']?.properties ?? {})).toEqual(
      expect.arrayContaining([
        'type',
        'title',
        'status',
        'detail',
        'instance',
        'errors',
        'blockers',
        'warnings',
        'currentStatus',
        'allowedOperations',
        'operation',
        'availableInstances',
        'requestedInstances',
        'activeExecutionId',
        'requiredRole',
      ]),
    );
    expect(Object.keys(openapi.components.schemas['ProblemDetailsDoc']?.properties ?? {})).toEqual(
      expect.arrayContaining([
        'errors',
        'currentStatus',
        'allowedOperations',
        'attemptedOperation',
        'resource',
        'resourceId',
        'field',
        'existingId',
        'keyFingerprints',
        'requiredRole',
      ]),
    );
    // Every operation of the API answers its 4xx as problem+json, and documents 401 and 403.
    const wrong: string[] = [];
    for (const path of paths.filter((p) => p.startsWith('/api/v1/registry/'))) {
      for (const [method, operation] of Object.entries(openapi.paths[path] ?? {})) {
        const statuses = Object.keys(operation.responses);
        if (!statuses.includes('401') || !statuses.includes('403'))
          wrong.push(`${method} ${path}: no 401/403`);
        for (const status of statuses.filter((s) => s.startsWith('4'))) {
          const content = operation.responses[status]?.content ?? {};
          const refs = JSON.stringify(content);
          if (
            Object.keys(content).join() !== 'application/problem+json' ||
            !refs.includes('ProblemDetails')
          ) {
            wrong.push(`${method} ${path} ${status}: ${refs}`);
          }
        }
      }
    }
    expect(wrong).toEqual([]);
    expect(
      Object.keys(openapi.paths['/api/v1/registry/tenants/{tenantId}/upgrades']?.['post']?.responses ?? {}),
    ).toContain('415');
    // The page shows the same merged document.
    const ui = await fetch(`${stack.orchestrator.url}/api/docs/swagger-ui-init.js`);
    expect(ui.status).toBe(200);
    expect(await ui.text()).toContain(
      '/api/v1/registry/components/{componentId}/versions/{versionId}/publish',
    );

    expect((await fetch(`${stack.orchestrator.url}/health/live`)).status).toBe(200);
    const ready = await fetch(`${stack.orchestrator.url}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ok' });
  });
});
