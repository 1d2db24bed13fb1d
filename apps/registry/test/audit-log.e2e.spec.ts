import { randomUUID } from 'crypto';
import { AuditRecordedSchema, parseEnvelope, PROBLEM_JSON, Topics } from '@upshift/contracts';
import type { AuditPage, AuditRecord } from '@upshift/contracts';
import type { AuditRow } from '@upshift/http';
import { authHeader, eventually } from '@upshift/testing';
import { createComponent, releaseVersion, VersionBody } from './support/catalog-builders';
import { API, RegistryTestContext, startRegistry } from './support/registry-test-app';

/** The audit log of the registry (ADR 0075): written when each response has finished, so tests poll. */
describe('registry audit log (e2e)', () => {
  let ctx: RegistryTestContext;
  let componentId: string;
  let v1: VersionBody;
  const tenantA = 'audit-a';
  const tenantB = 'audit-b';

  beforeAll(async () => {
    ctx = await startRegistry('audit');
    componentId = await createComponent(ctx.http);
    v1 = await releaseVersion(ctx.http, componentId, { version: '1.0.0' });
  });

  afterAll(async () => {
    await ctx.close();
  });

  const rowsOf = async (requestId: string): Promise<AuditRow[]> =>
    (await ctx.pg.query<AuditRow>('SELECT * FROM registry.audit_log WHERE request_id = $1', [requestId]))
      .rows;

  /**
   * The rows a request left, once its record is there and a later request's record too: a second
   * record of the same request (a double write) would have landed by then.
   */
  async function settledRows(requestId: string): Promise<AuditRow[]> {
    await eventually(async () => ((await rowsOf(requestId)).length > 0 ? true : undefined), {
      what: `the audit record of ${requestId}`,
    });
    const fence = `fence-${randomUUID()}`;
    await ctx.anonymous.delete(`${API}/components/${componentId}`).set('x-request-id', fence);
    await eventually(async () => ((await rowsOf(fence)).length > 0 ? true : undefined), {
      what: 'the fence record',
    });
    return rowsOf(requestId);
  }

  /** Lets any record still being written land, then says whether `requestId` left none. */
  async function noRowsAfterFence(requestId: string): Promise<AuditRow[]> {
    const fence = `fence-${randomUUID()}`;
    await ctx.anonymous.delete(`${API}/components/${componentId}`).set('x-request-id', fence);
    await eventually(async () => ((await rowsOf(fence)).length > 0 ? true : undefined), {
      what: 'the fence record',
    });
    return rowsOf(requestId);
  }

  const registration = (name: string) => ({
    componentId,
    versionId: v1.id,
    name,
    agentUrl: 'http://10.0.0.1:7070',
  });

  it('records a mutating request once, with its audit.events outbox row in the same transaction', async () => {
    const requestId = `register-${randomUUID()}`;
    const response = await ctx.http
      .post(`${API}/tenants/${tenantA}/instances`)
      .set('x-request-id', requestId)
      .send(registration('audited-1'))
      .expect(201);
    expect(response.headers['x-request-id']).toBe(requestId);

    const rows = await settledRows(requestId);
    expect(rows).toHaveLength(1);
    const row = rows[0] as AuditRow;
    expect(row).toMatchObject({
      action: 'instance.register',
      method: 'POST',
      path: `${API}/tenants/${tenantA}/instances`,
      tenant_id: tenantA,
      target_id: null,
      sub: 'test-admin',
      claimed_by: null,
      status: 201,
      request_id: requestId,
    });
    expect(row.source_address).toMatch(/127\.0\.0\.1|::1/);

    const outbox = await ctx.pg.query<{ message_key: string; payload: unknown; same_tx: boolean }>(
      `SELECT o.message_key, o.payload, o.xmin::text = a.xmin::text AS same_tx
         FROM registry.outbox o JOIN registry.audit_log a ON a.id::text = o.payload->>'id'
        WHERE o.topic = $1 AND a.id = $2`,
      [Topics.AUDIT_EVENTS, row.id],
    );
    expect(outbox.rows).toHaveLength(1);
    const [event] = outbox.rows as [{ message_key: string; payload: unknown; same_tx: boolean }];
    expect(event.message_key).toBe(tenantA);
    expect(event.same_tx).toBe(true);
    const envelope = parseEnvelope(JSON.stringify(event.payload), AuditRecordedSchema, {
      type: 'upshift.audit.recorded.v1',
    });
    expect(envelope).toMatchObject({ id: row.id, source: '/upshift/registry', tenantid: tenantA });
    expect(envelope.data).toEqual({
      id: row.id,
      at: row.occurred_at.toISOString(),
      service: 'registry',
      action: 'instance.register',
      method: 'POST',
      path: `${API}/tenants/${tenantA}/instances`,
      tenantId: tenantA,
      targetId: null,
      sub: 'test-admin',
      claimedBy: null,
      status: 201,
      requestId,
      sourceAddress: row.source_address,
    });
  });

  it('records a request refused for want of a token (401) with no subject', async () => {
    const requestId = `anonymous-${randomUUID()}`;
    await ctx.anonymous
      .post(`${API}/tenants/${tenantA}/instances`)
      .set('x-request-id', requestId)
      .send(registration('never'))
      .expect(401);
    const rows = await settledRows(requestId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      action: 'instance.register',
      tenant_id: tenantA,
      sub: null,
      status: 401,
    });
  });

  it('records a request refused for want of a role (403) with the subject that tried', async () => {
    const requestId = `viewer-${randomUUID()}`;
    await ctx.anonymous
      .post(`${API}/tenants/${tenantA}/instances`)
      .set(await authHeader({ sub: 'viewer-a', tenants: [tenantA], roles: ['viewer'] }))
      .set('x-request-id', requestId)
      .send(registration('never'))
      .expect(403);
    const rows = await settledRows(requestId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      action: 'instance.register',
      tenant_id: tenantA,
      sub: 'viewer-a',
      status: 403,
    });
  });

  it("records a read of another tenant's data (answered 404) but not an allowed read", async () => {
    const viewerOfA = await authHeader({ sub: 'viewer-a', tenants: [tenantA], roles: ['viewer'] });
    const refused = `cross-tenant-${randomUUID()}`;
    await ctx.anonymous
      .get(`${API}/tenants/${tenantB}/instances`)
      .set(viewerOfA)
      .set('x-request-id', refused)
      .expect(404);
    const rows = await settledRows(refused);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      action: `GET ${API}/tenants/:tenantId/instances`,
      tenant_id: tenantB,
      sub: 'viewer-a',
      status: 404,
    });

    const allowed = `allowed-${randomUUID()}`;
    await ctx.anonymous
      .get(`${API}/tenants/${tenantA}/instances`)
      .set(viewerOfA)
      .set('x-request-id', allowed)
      .expect(200);
    expect(await noRowsAfterFence(allowed)).toEqual([]);
  });

  it('leaves the read-only path validation out, and records a mutating request to no route by its path', async () => {
    const validation = `validate-${randomUUID()}`;
    await ctx.http
      .post(`${API}/components/${componentId}/upgrade-path/validate`)
      .set('x-request-id', validation)
      .send({ fromVersionId: v1.id, toVersionId: v1.id })
      .expect((res) => expect(res.status).toBeLessThan(500));
    expect(await noRowsAfterFence(validation)).toEqual([]);

    const unknown = `unknown-${randomUUID()}`;
    await ctx.http.post(`${API}/no-such-thing?x=1`).set('x-request-id', unknown).send({}).expect(404);
    const rows = await settledRows(unknown);
    expect(rows).toHaveLength(1);
    // No route, so no guard ran: the token was never verified and names nobody.
    expect(rows[0]).toMatchObject({
      action: `POST ${API}/no-such-thing`,
      path: `${API}/no-such-thing`,
      sub: null,
      tenant_id: null,
      status: 404,
    });
  });

  it('records a mutating request refused before routing (malformed JSON) by its path', async () => {
    const requestId = `malformed-${randomUUID()}`;
    await ctx.http
      .post(`${API}/tenants/${tenantA}/instances`)
      .set('x-request-id', requestId)
      .set('content-type', 'application/json')
      .send('{"name": ')
      .expect(400);
    const rows = await settledRows(requestId);
    expect(rows).toHaveLength(1);
    // The body parser refused it before the guard ran: no action name, no verified subject, no tenant.
    expect(rows[0]).toMatchObject({
      action: `POST ${API}/tenants/${tenantA}/instances`,
      sub: null,
      tenant_id: null,
      status: 400,
    });
  });

  it('gives a request without an acceptable X-Request-Id one of its own, and echoes it', async () => {
    const first = await ctx.anonymous.post(`${API}/components`).send({}).expect(401);
    const generated = first.headers['x-request-id'] as string;
    expect(generated).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(await settledRows(generated)).toHaveLength(1);

    const second = await ctx.anonymous
      .post(`${API}/components`)
      .set('x-request-id', `spaces are not allowed ${'x'.repeat(200)}`)
      .send({})
      .expect(401);
    expect(second.headers['x-request-id']).toMatch(/^[0-9a-f]{8}-/);
    expect(await settledRows(second.headers['x-request-id'] as string)).toHaveLength(1);
  });

  it('refuses UPDATE, DELETE and TRUNCATE on registry.audit_log, even of no rows', async () => {
    const before = (await ctx.pg.query('SELECT * FROM registry.audit_log ORDER BY id')).rows;
    expect(before.length).toBeGreaterThan(0);
    for (const statement of [
      `UPDATE registry.audit_log SET sub = 'mallory'`,
      `UPDATE registry.audit_log SET sub = 'mallory' WHERE false`,
      'DELETE FROM registry.audit_log',
      'DELETE FROM registry.audit_log WHERE false',
      'TRUNCATE registry.audit_log',
    ]) {
      await expect(ctx.pg.query(statement)).rejects.toThrow(/registry\.audit_log is append-only/);
    }
    const after = (await ctx.pg.query('SELECT * FROM registry.audit_log ORDER BY id')).rows;
    expect(after.slice(0, before.length)).toEqual(before);
    const grants = await ctx.pg.query(
      `SELECT privilege_type FROM information_schema.role_table_grants
        WHERE table_schema = 'registry' AND table_name = 'audit_log' AND grantee = 'PUBLIC'`,
    );
    expect(grants.rows).toEqual([]);
  });

  describe('GET /audit', () => {
    const viewer = (sub: string, tenants: string[]) => authHeader({ sub, tenants, roles: ['viewer'] });

    beforeAll(async () => {
      // Records of both tenants, interleaved.
      const ids: string[] = [];
      for (let i = 0; i < 3; i += 1) {
        for (const tenant of [tenantA, tenantB]) {
          const id = `seed-${tenant}-${i}-${randomUUID()}`;
          await ctx.http
            .post(`${API}/tenants/${tenant}/instances`)
            .set('x-request-id', id)
            .send(registration(`paged-${i}`));
          ids.push(id);
        }
      }
      for (const id of ids) await settledRows(id);
    });

    async function allPages(
      headers: Record<string, string>,
      query: Record<string, string>,
    ): Promise<{ pages: AuditPage[]; items: AuditRecord[] }> {
      const pages: AuditPage[] = [];
      let before: string | null = null;
      do {
        const response = await ctx.anonymous
          .get(`${API}/audit`)
          .query(before === null ? query : { ...query, before })
          .set(headers)
          .expect(200);
        const page = response.body as AuditPage;
        pages.push(page);
        before = page.nextCursor;
      } while (before !== null && pages.length < 100);
      return { pages, items: pages.flatMap((p) => p.items) };
    }

    async function expectedIds(tenants: string[] | null): Promise<string[]> {
      const { rows } = await ctx.pg.query<{ id: string }>(
        `SELECT id FROM registry.audit_log WHERE $1::text[] IS NULL OR tenant_id = ANY($1)
          ORDER BY occurred_at DESC, id DESC`,
        [tenants],
      );
      return rows.map((r) => r.id);
    }

    it("pages a tenant viewer's records newest first and never shows another tenant's", async () => {
      const { pages, items } = await allPages(await viewer('viewer-a', [tenantA]), { limit: '2' });
      expect(pages.length).toBeGreaterThan(2);
      expect(pages.every((p) => p.items.length <= 2)).toBe(true);
      expect(pages[pages.length - 1]?.nextCursor).toBeNull();
      expect(items.map((r) => r.id)).toEqual(await expectedIds([tenantA]));
      expect(new Set(items.map((r) => r.tenantId))).toEqual(new Set([tenantA]));
      const times = items.map((r) => r.at);
      expect([...times].sort().reverse()).toEqual(times);
    });

    it('shows an admin of every tenant every record, those of no tenant too', async () => {
      const { items } = await allPages(await authHeader(), { limit: '500' });
      expect(items.map((r) => r.id)).toEqual(await expectedIds(null));
      expect(new Set(items.map((r) => r.tenantId))).toEqual(new Set([tenantA, tenantB, null]));
    });

    it('narrows to one tenant and to records since an instant', async () => {
      const all = (await allPages(await authHeader(), { tenantId: tenantB })).items;
      expect(all.map((r) => r.id)).toEqual(await expectedIds([tenantB]));
      const middle = all[Math.floor(all.length / 2)] as AuditRecord;
      const since = (await allPages(await authHeader(), { tenantId: tenantB, since: middle.at })).items;
      expect(since).toEqual(all.filter((r) => r.at >= middle.at));
    });

    it("answers 404 for another tenant's records, and records the attempt", async () => {
      const requestId = `peek-${randomUUID()}`;
      const response = await ctx.anonymous
        .get(`${API}/audit`)
        .query({ tenantId: tenantB })
        .set(await viewer('viewer-a', [tenantA]))
        .set('x-request-id', requestId)
        .expect(404);
      expect(response.headers['content-type']).toContain(PROBLEM_JSON);
      expect(await settledRows(requestId)).toEqual([
        expect.objectContaining({
          action: `GET ${API}/audit`,
          tenant_id: tenantB,
          sub: 'viewer-a',
          status: 404,
        }),
      ]);
    });

    it.each([
      [{ limit: '0' }, 'limit'],
      [{ limit: '501' }, 'limit'],
      [{ limit: 'ten' }, 'limit'],
      [{ before: 'not-a-cursor' }, 'before'],
      [{ since: 'yesterday' }, 'since'],
      [{ tenantId: 'no spaces' }, 'tenantId'],
      [{ page: '2' }, 'page'],
    ])('refuses %j with 400 naming %s', async (query, field) => {
      const response = await ctx.http.get(`${API}/audit`).query(query).expect(400);
      expect(response.headers['content-type']).toContain(PROBLEM_JSON);
      expect((response.body as { errors: { field: string }[] }).errors.map((e) => e.field)).toContain(field);
    });

    it('needs a token', async () => {
      await ctx.anonymous.get(`${API}/audit`).expect(401);
    });
  });
});
