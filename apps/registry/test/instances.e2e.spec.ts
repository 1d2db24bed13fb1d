import {
  API,
  outboxEvents,
  RegistryTestContext,
  snapshotRegistryTables,
  startRegistry,
} from './support/registry-test-app';
import { createComponent, releaseVersion, VersionBody } from './support/catalog-builders';

describe('registry inventory (e2e)', () => {
  let ctx: RegistryTestContext;
  let componentId: string;
  let otherComponentId: string;
  let v1: VersionBody;
  let v2: VersionBody;
  let foreignVersion: VersionBody;
  const tenant = '550e8400';

  beforeAll(async () => {
    ctx = await startRegistry('instances');
    componentId = await createComponent(ctx.http);
    otherComponentId = await createComponent(ctx.http);
    v1 = await releaseVersion(ctx.http, componentId, { version: '1.0.0' });
    v2 = await releaseVersion(ctx.http, componentId, { version: '2.0.0' });
    foreignVersion = await releaseVersion(ctx.http, otherComponentId, { version: '1.0.0' });
  });

  afterAll(async () => {
    await ctx.close();
  });

  const register = (tenantId: string, body: Record<string, unknown>) =>
    ctx.http.post(`${API}/tenants/${tenantId}/instances`).send(body);

  it('registers an instance (201) and serves it with its version string', async () => {
    const response = await register(tenant, {
      componentId,
      versionId: v1.id,
      name: 'gw-eu-1',
      agentUrl: 'http://10.0.0.1:7070',
      labels: { region: 'eu-west-1' },
    }).expect(201);
    expect(response.body).toEqual({
      id: expect.any(String),
      tenantId: tenant,
      componentId,
      versionId: v1.id,
      version: '1.0.0',
      name: 'gw-eu-1',
      agentUrl: 'http://10.0.0.1:7070',
      labels: { region: 'eu-west-1' },
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
      outOfSupport: false,
    });
    const fetched = await ctx.http.get(`${API}/tenants/${tenant}/instances/${response.body.id}`).expect(200);
    expect(fetched.body).toEqual(response.body);

    const event = (await outboxEvents(ctx.pg)).find((e) => e.data['instanceId'] === response.body.id);
    expect(event).toMatchObject({
      topic: 'registry.events',
      key: response.body.id,
      type: 'upshift.registry.InstanceRegistered',
      data: { kind: 'InstanceRegistered', tenantId: tenant, version: '1.0.0', name: 'gw-eu-1' },
    });
  });

  it('re-registering the same name updates the instance in place (200, same id)', async () => {
    const first = await register(tenant, {
      componentId,
      versionId: v1.id,
      name: 'gw-us-1',
      agentUrl: 'http://10.0.0.2:7070',
    }).expect(201);
    const again = await register(tenant, {
      componentId,
      versionId: v2.id,
      name: 'gw-us-1',
      agentUrl: 'http://10.0.0.3:7070',
      labels: { zone: 'b' },
    }).expect(200);
    expect(again.body).toMatchObject({
      id: first.body.id,
      versionId: v2.id,
      version: '2.0.0',
      agentUrl: 'http://10.0.0.3:7070',
      labels: { zone: 'b' },
      createdAt: first.body.createdAt,
    });
    const { rows } = await ctx.pg.query('SELECT count(*)::int AS n FROM registry.instance WHERE name = $1', [
      'gw-us-1',
    ]);
    expect(rows[0].n).toBe(1);
  });

  it('keeps names separate per tenant and per component', async () => {
    const a = await register('tenant-a', {
      componentId,
      versionId: v1.id,
      name: 'shared',
      agentUrl: 'http://a:1',
    });
    const b = await register('tenant-b', {
      componentId,
      versionId: v1.id,
      name: 'shared',
      agentUrl: 'http://b:1',
    });
    const c = await register('tenant-a', {
      componentId: otherComponentId,
      versionId: foreignVersion.id,
      name: 'shared',
      agentUrl: 'http://c:1',
    });
    expect([a.status, b.status, c.status]).toEqual([201, 201, 201]);
    expect(new Set([a.body.id, b.body.id, c.body.id]).size).toBe(3);
  });

  it('lists a tenant’s instances ordered by name, filtered by component and version', async () => {
    const t = 'tenant_list';
    for (const [name, version] of [
      ['node-c', v2],
      ['node-a', v1],
      ['node-b', v2],
    ] as const) {
      await register(t, { componentId, versionId: version.id, name, agentUrl: `http://${name}:7070` }).expect(
        201,
      );
    }
    await register(t, {
      componentId: otherComponentId,
      versionId: foreignVersion.id,
      name: 'db-1',
      agentUrl: 'http://db:1',
    });

    const all = await ctx.http.get(`${API}/tenants/${t}/instances`).expect(200);
    expect(all.body.map((i: { name: string }) => i.name)).toEqual(['db-1', 'node-a', 'node-b', 'node-c']);
    const ofComponent = await ctx.http
      .get(`${API}/tenants/${t}/instances?componentId=${componentId}`)
      .expect(200);
    expect(ofComponent.body.map((i: { name: string }) => i.name)).toEqual(['node-a', 'node-b', 'node-c']);
    const onV2 = await ctx.http
      .get(`${API}/tenants/${t}/instances?componentId=${componentId}&versionId=${v2.id}`)
      .expect(200);
    expect(onV2.body.map((i: { name: string; version: string }) => [i.name, i.version])).toEqual([
      ['node-b', '2.0.0'],
      ['node-c', '2.0.0'],
    ]);
    const otherTenant = await ctx.http.get(`${API}/tenants/nobody/instances`).expect(200);
    expect(otherTenant.body).toEqual([]);
  });

  it('records a new version with PATCH (what the orchestrator calls after an upgrade or rollback)', async () => {
    const created = await register(tenant, {
      componentId,
      versionId: v1.id,
      name: 'patch-me',
      agentUrl: 'http://p:1',
    });
    const patched = await ctx.http
      .patch(`${API}/tenants/${tenant}/instances/${created.body.id}`)
      .send({ versionId: v2.id })
      .expect(200);
    expect(patched.body).toMatchObject({ id: created.body.id, versionId: v2.id, version: '2.0.0' });
    const back = await ctx.http
      .patch(`${API}/tenants/${tenant}/instances/${created.body.id}`)
      .send({ versionId: v1.id })
      .expect(200);
    expect(back.body.version).toBe('1.0.0');
  });

  it('refuses a PATCH to a version of another component with 404, changing nothing', async () => {
    const created = await register(tenant, {
      componentId,
      versionId: v1.id,
      name: 'patch-no',
      agentUrl: 'http://p:2',
    });
    const before = await snapshotRegistryTables(ctx.pg);
    const response = await ctx.http
      .patch(`${API}/tenants/${tenant}/instances/${created.body.id}`)
      .send({ versionId: foreignVersion.id })
      .expect(404);
    expect(response.body).toMatchObject({ resource: 'version', resourceId: foreignVersion.id });
    expect(await snapshotRegistryTables(ctx.pg)).toEqual(before);
  });

  it('records the versions of several instances in one PATCH, listing those the tenant does not have', async () => {
    const a = await register(tenant, {
      componentId,
      versionId: v1.id,
      name: 'bulk-a',
      agentUrl: 'http://b:1',
    });
    const b = await register(tenant, {
      componentId,
      versionId: v1.id,
      name: 'bulk-b',
      agentUrl: 'http://b:2',
    });
    const foreign = await register('someone-else', {
      componentId,
      versionId: v1.id,
      name: 'bulk-c',
      agentUrl: 'http://b:3',
    });
    const gone = '00000000-0000-4000-8000-00000000abcd';
    const response = await ctx.http
      .patch(`${API}/tenants/${tenant}/instances`)
      .send({
        updates: [
          { instanceId: a.body.id, versionId: v1.id },
          { instanceId: b.body.id, versionId: v2.id },
          { instanceId: foreign.body.id, versionId: v2.id },
          { instanceId: gone, versionId: v2.id },
          { instanceId: a.body.id, versionId: v2.id }, // listed twice: the last one counts
        ],
      })
      .expect(200);
    expect(response.body.updated.sort()).toEqual([a.body.id, b.body.id].sort());
    expect(response.body.missing.sort()).toEqual([foreign.body.id, gone].sort());
    for (const id of [a.body.id, b.body.id]) {
      const view = await ctx.http.get(`${API}/tenants/${tenant}/instances/${id}`).expect(200);
      expect(view.body.version).toBe('2.0.0');
    }
    const untouched = await ctx.http
      .get(`${API}/tenants/someone-else/instances/${foreign.body.id}`)
      .expect(200);
    expect(untouched.body.version).toBe('1.0.0');
  });

  it('refuses a bulk PATCH with a version of another component (404) and with malformed updates (400), changing nothing', async () => {
    const a = await register(tenant, {
      componentId,
      versionId: v1.id,
      name: 'bulk-no',
      agentUrl: 'http://b:4',
    });
    const before = await snapshotRegistryTables(ctx.pg);
    const url = `${API}/tenants/${tenant}/instances`;
    const refused = await ctx.http
      .patch(url)
      .send({ updates: [{ instanceId: a.body.id, versionId: foreignVersion.id }] })
      .expect(404);
    expect(refused.body).toMatchObject({ resource: 'version', resourceId: foreignVersion.id });
    const malformed = await ctx.http
      .patch(url)
      .send({ updates: [{ instanceId: 'nope', versionId: v2.id }] })
      .expect(400);
    expect(JSON.stringify(malformed.body.errors)).toContain('instanceId');
    await ctx.http.patch(url).send({ updates: [] }).expect(400);
    expect(await snapshotRegistryTables(ctx.pg)).toEqual(before);
  });

  it("answers 404 for another tenant's instance (GET, PATCH, DELETE)", async () => {
    const created = await register(tenant, {
      componentId,
      versionId: v1.id,
      name: 'mine',
      agentUrl: 'http://m:1',
    });
    const url = `${API}/tenants/someone-else/instances/${created.body.id}`;
    const response = await ctx.http.get(url).expect(404);
    expect(response.body).toMatchObject({ resource: 'instance', resourceId: created.body.id });
    expect(response.body.detail).toContain('someone-else');
    await ctx.http.patch(url).send({ versionId: v2.id }).expect(404);
    await ctx.http.delete(url).expect(404);
    await ctx.http.get(`${API}/tenants/${tenant}/instances/${created.body.id}`).expect(200);
  });

  it('deletes an instance (204), after which it is 404', async () => {
    const created = await register(tenant, {
      componentId,
      versionId: v1.id,
      name: 'gone',
      agentUrl: 'http://g:1',
    });
    await ctx.http.delete(`${API}/tenants/${tenant}/instances/${created.body.id}`).expect(204);
    await ctx.http.get(`${API}/tenants/${tenant}/instances/${created.body.id}`).expect(404);
    await ctx.http.delete(`${API}/tenants/${tenant}/instances/${created.body.id}`).expect(404);
  });

  it('refuses a registration whose version is not the component’s (404) and writes nothing', async () => {
    const before = await snapshotRegistryTables(ctx.pg);
    const response = await register(tenant, {
      componentId,
      versionId: foreignVersion.id,
      name: 'wrong-version',
      agentUrl: 'http://w:1',
    }).expect(404);
    expect(response.body).toMatchObject({ resource: 'version', resourceId: foreignVersion.id });
    const missingComponent = await register(tenant, {
      componentId: '9b1a3c3e-5555-4555-8555-555555555555',
      versionId: v1.id,
      name: 'wrong-component',
      agentUrl: 'http://w:1',
    }).expect(404);
    expect(missingComponent.body.resource).toBe('component');
    expect(await snapshotRegistryTables(ctx.pg)).toEqual(before);
  });

  it('refuses an invalid registration with 400 naming each field', async () => {
    const before = await snapshotRegistryTables(ctx.pg);
    const response = await register(tenant, {
      componentId: 'x',
      versionId: 7,
      name: 'has spaces',
      agentUrl: 'ftp://nope',
      labels: { 'ok-key': 3 },
      owner: 'me',
    }).expect(400);
    expect(new Set(response.body.errors.map((e: { field: string }) => e.field))).toEqual(
      new Set(['componentId', 'versionId', 'name', 'agentUrl', 'labels', 'owner']),
    );
    expect(await snapshotRegistryTables(ctx.pg)).toEqual(before);
  });

  it('names bad path and query parameters', async () => {
    const badTenant = await ctx.http.get(`${API}/tenants/${'x'.repeat(65)}/instances`).expect(400);
    expect(badTenant.body.errors).toEqual([
      { field: 'tenantId', message: expect.stringContaining('1 to 64') },
    ]);
    const dotted = await ctx.http.get(`${API}/tenants/a.b/instances`).expect(400);
    expect(dotted.body.errors[0].field).toBe('tenantId');
    const both = await ctx.http.get(`${API}/tenants/a.b/instances/nope`).expect(400);
    expect(both.body.errors.map((e: { field: string }) => e.field)).toEqual(['tenantId', 'instanceId']);
    const query = await ctx.http
      .get(`${API}/tenants/${tenant}/instances?componentId=1&versionId=2`)
      .expect(400);
    expect(query.body.errors.map((e: { field: string }) => e.field)).toEqual(['componentId', 'versionId']);
    const patch = await ctx.http
      .patch(`${API}/tenants/${tenant}/instances/9b1a3c3e-5555-4555-8555-555555555555`)
      .send({})
      .expect(400);
    expect(patch.body.errors).toEqual([{ field: 'versionId', message: expect.stringContaining('UUID') }]);
  });

  it('registers the same new name concurrently without duplicates', async () => {
    const body = { componentId, versionId: v1.id, name: 'racer', agentUrl: 'http://r:1' };
    const responses = await Promise.all([
      register(tenant, body),
      register(tenant, body),
      register(tenant, body),
    ]);
    expect(responses.map((r) => r.status).sort()).toEqual([200, 200, 201]);
    expect(new Set(responses.map((r) => r.body.id)).size).toBe(1);
  });
});
