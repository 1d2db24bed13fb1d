import type { AuditRow } from '@upshift/http';
import { randomUUID } from 'crypto';
import type { Consumer } from 'kafkajs';
import { Client } from 'pg';
import { AuditRecordedSchema, parseEnvelope, Topics } from '@upshift/contracts';
import type { AuditPage, AuditRecord, UpgradeExecutionView } from '@upshift/contracts';
import { authHeader, eventually } from '@upshift/testing';
import { registerFleet } from './support/fleet-fixture';
import type { Fleet } from './support/fleet-fixture';
import { TestStack } from './support/stack';
import { createUpgrade } from './support/upgrades';

type Service = 'orchestrator' | 'registry';

/**
 * The orchestrator's audit log and the merged `GET /audit` at the one base URL (ADR 0075), against
 * the whole stack: registry, orchestrator, Postgres, Redis and the embedded broker.
 */
describe('orchestrator audit log (e2e)', () => {
  let stack: TestStack;
  let pg: Client;
  let fleet: Fleet;
  let execution: UpgradeExecutionView;
  const auditMessages = new Map<string, { key: string; value: string }>();
  let consumer: Consumer;

  beforeAll(async () => {
    stack = await TestStack.start('orch_audit');
    pg = new Client({ connectionString: stack.db.url });
    await pg.connect();
    consumer = stack.kafka.consumer({ groupId: `audit-test-${randomUUID()}` });
    await consumer.connect();
    await consumer.subscribe({ topic: Topics.AUDIT_EVENTS, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const value = message.value?.toString('utf8') ?? '';
        const { id } = JSON.parse(value) as { id: string };
        auditMessages.set(id, { key: message.key?.toString('utf8') ?? '', value });
      },
    });
    fleet = await registerFleet(stack, 2);
    execution = await createUpgrade(stack, fleet);
  });

  afterAll(async () => {
    await consumer?.disconnect().catch(() => undefined);
    await pg?.end().catch(() => undefined);
    await stack?.stop();
  });

  const rowsOf = async (service: Service, requestId: string): Promise<AuditRow[]> =>
    (await pg.query<AuditRow>(`SELECT * FROM ${service}.audit_log WHERE request_id = $1`, [requestId])).rows;

  /** Waits for a record of `requestId`, then for a later request's, so that a double write would show. */
  async function settledRows(service: Service, requestId: string): Promise<AuditRow[]> {
    await eventually(async () => ((await rowsOf(service, requestId)).length > 0 ? true : undefined), {
      what: `the ${service} audit record of ${requestId}`,
    });
    const fence = `fence-${randomUUID()}`;
    await stack.request('POST', `/upgrades/${randomUUID()}/pause`, undefined, { 'x-request-id': fence });
    await eventually(async () => ((await rowsOf('orchestrator', fence)).length > 0 ? true : undefined), {
      what: 'the fence record',
    });
    return rowsOf(service, requestId);
  }

  const call = (method: string, path: string, requestId: string, headers: Record<string, string> = {}) =>
    stack.request(method, path, undefined, { ...headers, 'x-request-id': requestId });

  it('records an operation once, with the tenant known only once the execution was loaded', async () => {
    const requestId = `cancel-${randomUUID()}`;
    const res = await call('POST', `/upgrades/${execution.id}/cancel`, requestId);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe(requestId);
    expect(await settledRows('orchestrator', requestId)).toEqual([
      expect.objectContaining({
        action: 'upgrade.cancel',
        tenant_id: fleet.tenantId,
        target_id: execution.id,
        sub: 'test-admin',
        claimed_by: null,
        status: 200,
      }),
    ]);
  });

  it("keeps the request's free-text initiatedBy beside the token's subject", async () => {
    const { rows } = await pg.query<AuditRow>(
      `SELECT * FROM orchestrator.audit_log WHERE action = 'upgrade.create' AND tenant_id = $1`,
      [fleet.tenantId],
    );
    expect(rows).toEqual([
      expect.objectContaining({
        sub: 'test-admin',
        claimed_by: 'e2e@upshift.dev',
        status: 201,
        target_id: null,
      }),
    ]);
  });

  it('records refusals: 401 without a subject, 403 with one, another tenant (404) with the real tenant', async () => {
    const anonymous = `anonymous-${randomUUID()}`;
    expect(
      (await call('POST', `/upgrades/${execution.id}/pause`, anonymous, { authorization: '' })).status,
    ).toBe(401);
    const viewer = `viewer-${randomUUID()}`;
    const viewerToken = await authHeader({ sub: 'viewer-t', tenants: [fleet.tenantId], roles: ['viewer'] });
    expect((await call('POST', `/upgrades/${execution.id}/pause`, viewer, viewerToken)).status).toBe(403);
    const stranger = `stranger-${randomUUID()}`;
    const strangerToken = await authHeader({ sub: 'operator-x', tenants: ['tenant-x'], roles: ['operator'] });
    expect((await call('POST', `/upgrades/${execution.id}/pause`, stranger, strangerToken)).status).toBe(404);

    const common = { action: 'upgrade.pause', target_id: execution.id };
    expect(await settledRows('orchestrator', anonymous)).toEqual([
      expect.objectContaining({ ...common, sub: null, status: 401, tenant_id: null }),
    ]);
    expect(await settledRows('orchestrator', viewer)).toEqual([
      expect.objectContaining({ ...common, sub: 'viewer-t', status: 403, tenant_id: null }),
    ]);
    expect(await settledRows('orchestrator', stranger)).toEqual([
      expect.objectContaining({ ...common, sub: 'operator-x', status: 404, tenant_id: fleet.tenantId }),
    ]);
  });

  it('leaves requests forwarded to the registry to the registry, recorded there once', async () => {
    const requestId = `proxied-${randomUUID()}`;
    const res = await stack.request(
      'POST',
      `/tenants/${fleet.tenantId}/instances`,
      {
        componentId: fleet.componentId,
        versionId: fleet.fromVersionId,
        name: 'proxied-1',
        agentUrl: 'http://10.0.0.9:7070',
      },
      { 'x-request-id': requestId },
    );
    expect(res.status).toBe(201);
    expect(res.headers.get('x-request-id')).toBe(requestId);
    expect(await settledRows('registry', requestId)).toEqual([
      expect.objectContaining({
        action: 'instance.register',
        tenant_id: fleet.tenantId,
        sub: 'test-admin',
        status: 201,
      }),
    ]);
    expect(await rowsOf('orchestrator', requestId)).toEqual([]);
  });

  // The relay has already marked the row published (a new row version), so unlike the registry's suite
  // this one cannot compare the rows' transaction ids; it follows the record to the broker instead.
  it('publishes each record on audit.events through the outbox', async () => {
    const { rows } = await pg.query<{ id: string; message_key: string }>(
      `SELECT a.id, o.message_key
         FROM orchestrator.audit_log a JOIN orchestrator.outbox o
           ON o.topic = $1 AND o.payload->>'id' = a.id::text
        WHERE a.action = 'upgrade.cancel' AND a.tenant_id = $2`,
      [Topics.AUDIT_EVENTS, fleet.tenantId],
    );
    expect(rows).toEqual([{ id: expect.any(String), message_key: fleet.tenantId }]);
    const recordId = (rows[0] as { id: string }).id;
    const message = await eventually(() => auditMessages.get(recordId), {
      what: 'the audit.events message',
      timeoutMs: 15_000,
    });
    expect(message.key).toBe(fleet.tenantId);
    const envelope = parseEnvelope(message.value, AuditRecordedSchema, { type: 'upshift.audit.recorded.v1' });
    expect(envelope).toMatchObject({ source: '/upshift/orchestrator', tenantid: fleet.tenantId });
    expect(envelope.data).toMatchObject({
      service: 'orchestrator',
      action: 'upgrade.cancel',
      targetId: execution.id,
    });
  });

  it('refuses UPDATE, DELETE and TRUNCATE on orchestrator.audit_log', async () => {
    const count = async () =>
      (await pg.query<{ n: number }>('SELECT count(*)::int AS n FROM orchestrator.audit_log')).rows[0]?.n;
    const before = await count();
    for (const statement of [
      `UPDATE orchestrator.audit_log SET status = 200`,
      'DELETE FROM orchestrator.audit_log',
      'TRUNCATE orchestrator.audit_log',
    ]) {
      await expect(pg.query(statement)).rejects.toThrow(/orchestrator\.audit_log is append-only/);
    }
    expect(await count()).toBeGreaterThanOrEqual(before ?? 1);
  });

  describe('GET /audit at the one base URL', () => {
    async function allPages(headers: Record<string, string>, query: string): Promise<AuditPage[]> {
      const pages: AuditPage[] = [];
      let before: string | null = null;
      do {
        const cursor: string = before === null ? '' : `&before=${encodeURIComponent(before)}`;
        const res = await stack.request<AuditPage>('GET', `/audit?${query}${cursor}`, undefined, headers);
        expect(res.status).toBe(200);
        pages.push(res.body);
        before = res.body.nextCursor;
      } while (before !== null && pages.length < 100);
      return pages;
    }

    /** Both services' records of the tenant, as the merge must order them. */
    async function expectedIds(tenantId: string): Promise<string[]> {
      const { rows } = await pg.query<{ id: string }>(
        `SELECT id FROM (SELECT id, occurred_at FROM orchestrator.audit_log WHERE tenant_id = $1
                         UNION ALL SELECT id, occurred_at FROM registry.audit_log WHERE tenant_id = $1) r
          ORDER BY occurred_at DESC, id DESC`,
        [tenantId],
      );
      return rows.map((r) => r.id);
    }

    it("merges both services' records newest first, page by page", async () => {
      const viewer = await authHeader({ sub: 'viewer-t', tenants: [fleet.tenantId], roles: ['viewer'] });
      const pages = await allPages(viewer, 'limit=3');
      const items: AuditRecord[] = pages.flatMap((p) => p.items);
      expect(pages.length).toBeGreaterThan(1);
      expect(pages.every((p) => p.items.length <= 3)).toBe(true);
      expect(items.map((r) => r.id)).toEqual(await expectedIds(fleet.tenantId));
      expect(new Set(items.map((r) => r.service))).toEqual(new Set(['orchestrator', 'registry']));
      expect(items.map((r) => r.action)).toEqual(
        expect.arrayContaining(['instance.register', 'upgrade.create', 'upgrade.cancel']),
      );
      expect(new Set(items.map((r) => r.tenantId))).toEqual(new Set([fleet.tenantId]));
    });

    it("never shows a viewer of another tenant this tenant's records", async () => {
      const other = await authHeader({ sub: 'viewer-x', tenants: ['tenant-x'], roles: ['viewer'] });
      // A record of tenant-x's own: an invalid upgrade request (400) is audited too.
      const invalid = `invalid-${randomUUID()}`;
      const operatorX = await authHeader({ sub: 'operator-x', tenants: ['tenant-x'], roles: ['operator'] });
      const refused = await stack.request(
        'POST',
        '/tenants/tenant-x/upgrades',
        {},
        { ...operatorX, 'x-request-id': invalid },
      );
      expect(refused.status).toBe(400);
      expect(await settledRows('orchestrator', invalid)).toEqual([
        expect.objectContaining({
          action: 'upgrade.create',
          tenant_id: 'tenant-x',
          sub: 'operator-x',
          status: 400,
        }),
      ]);
      const items = (await allPages(other, 'limit=500')).flatMap((p) => p.items);
      expect(items.length).toBeGreaterThan(0);
      expect(items.every((r) => r.tenantId === 'tenant-x')).toBe(true);
      const res = await stack.request('GET', `/audit?tenantId=${fleet.tenantId}`, undefined, other);
      expect(res.status).toBe(404);
      expect(res.contentType).toContain('application/problem+json');
    });

    it('refuses a bad query with 400 naming the field', async () => {
      const res = await stack.request<{ errors: { field: string }[] }>('GET', '/audit?limit=0');
      expect(res.status).toBe(400);
      expect(res.body.errors.map((e) => e.field)).toEqual(['limit']);
    });
  });
});
