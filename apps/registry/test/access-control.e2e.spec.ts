import request from 'supertest';
import { appRoutes, auditLogCounter, forgedTokens, testToken } from '@upshift/testing';
import type { Role } from '@upshift/http';
import { createComponent, releaseVersion } from './support/catalog-builders';
import { API, RegistryTestContext, snapshotRegistryTables, startRegistry } from './support/registry-test-app';

/**
 * Who may call each route of the registry (docs/api-contract.md, "Security"). Every route the running
 * app serves must be listed here: a new route without a rule fails the first test.
 */
const RULES: Record<string, Role | 'public'> = {
  'GET /health/live': 'public',
  'GET /health/ready': 'public',
  [`POST ${API}/components`]: 'admin',
  [`GET ${API}/components`]: 'viewer',
  [`GET ${API}/components/:componentId`]: 'viewer',
  [`POST ${API}/components/:componentId/signing-keys`]: 'admin',
  [`GET ${API}/components/:componentId/signing-keys`]: 'viewer',
  [`POST ${API}/components/:componentId/versions`]: 'admin',
  [`GET ${API}/components/:componentId/versions`]: 'viewer',
  [`GET ${API}/components/:componentId/versions/:versionId`]: 'viewer',
  [`POST ${API}/components/:componentId/versions/:versionId/publish`]: 'admin',
  [`POST ${API}/components/:componentId/versions/:versionId/deprecate`]: 'admin',
  [`POST ${API}/components/:componentId/versions/:versionId/yank`]: 'admin',
  [`POST ${API}/components/:componentId/upgrade-path/validate`]: 'viewer',
  [`GET ${API}/components/:componentId/versions/:versionId/available-upgrades`]: 'viewer',
  [`GET ${API}/components/:componentId/versions/:versionId/available-downgrades`]: 'viewer',
  [`POST ${API}/tenants/:tenantId/instances`]: 'operator',
  [`GET ${API}/tenants/:tenantId/instances`]: 'viewer',
  [`GET ${API}/tenants/:tenantId/instances/out-of-support`]: 'viewer',
  [`GET ${API}/tenants/:tenantId/instances/:instanceId`]: 'viewer',
  [`PATCH ${API}/tenants/:tenantId/instances`]: 'operator',
  [`PATCH ${API}/tenants/:tenantId/instances/:instanceId`]: 'operator',
  [`DELETE ${API}/tenants/:tenantId/instances/:instanceId`]: 'operator',
  [`GET ${API}/audit`]: 'viewer',
};

const AUDIENCE = 'upshift-api';
const TENANT = 'tenant-a';
const RANK: Record<Role, number> = { viewer: 1, operator: 2, admin: 3 };

describe('registry access control (e2e)', () => {
  let ctx: RegistryTestContext;
  const params: Record<string, string> = { tenantId: TENANT };
  let forged: Record<string, string>;
  let tokens: Record<string, string>;

  beforeAll(async () => {
    ctx = await startRegistry('access', { AUTH_AUDIENCE: AUDIENCE });
    params['componentId'] = await createComponent(ctx.http);
    params['versionId'] = (await releaseVersion(ctx.http, params['componentId'], { version: '1.0.0' })).id;
    const instance = await ctx.http
      .post(`${API}/tenants/${TENANT}/instances`)
      .send({
        componentId: params['componentId'],
        versionId: params['versionId'],
        name: 'a-1',
        agentUrl: 'http://10.0.0.1:7070',
      })
      .expect(201);
    params['instanceId'] = instance.body.id;
    forged = await forgedTokens(AUDIENCE);
    const token = (roles: Role[], tenants: string[]) =>
      testToken({ roles, tenants, audience: AUDIENCE, sub: `${roles[0]}@${tenants[0]}` });
    tokens = {
      otherTenantOperator: await token(['operator'], ['tenant-b']),
      viewer: await token(['viewer'], [TENANT]),
      operator: await token(['operator'], [TENANT]),
      admin: await token(['admin'], ['*']),
    };
  });

  afterAll(async () => {
    await ctx.close();
  });

  const auditLog = () => auditLogCounter(ctx.pg, 'registry');
  /** The audit log grew by exactly `expected` records. */
  const audited = async (since: number, expected: number) => {
    expect(await auditLog().grewBy(since, expected)).toBe(expected);
  };
  const mutating = (method: string, path: string) =>
    method !== 'GET' && !path.endsWith('/upgrade-path/validate');

  const routes = () => appRoutes(ctx.registry.app).map((r) => ({ ...r, key: `${r.method} ${r.path}` }));
  const urlOf = (path: string) =>
    path.replace(/:(\w+)/g, (_, name: string) => params[name] ?? `missing-${name}`);
  const send = (method: string, path: string, token?: string) => {
    const call = request(ctx.registry.url)[method.toLowerCase() as 'get'](urlOf(path));
    if (token !== undefined) call.set('authorization', `Bearer ${token}`);
    return method === 'GET' || method === 'DELETE' ? call : call.send({});
  };

  it('has a rule for every route the app serves, and every rule names a route', () => {
    const served = routes()
      .map((r) => r.key)
      .sort();
    expect(served).toEqual(Object.keys(RULES).sort());
  });

  it('refuses bad or missing credentials with 401 on every non-public route, writes nothing, and audits each', async () => {
    const before = await snapshotRegistryTables(ctx.pg);
    const auditedBefore = await auditLog().settled();
    let refused = 0;
    for (const route of routes()) {
      if (RULES[route.key] === 'public') {
        expect([route.key, (await send(route.method, route.path)).status]).toEqual([route.key, 200]);
        continue;
      }
      const missing = await send(route.method, route.path);
      refused += 1 + Object.keys(forged).length;
      expect([route.key, 'none', missing.status]).toEqual([route.key, 'none', 401]);
      expect(missing.headers['www-authenticate']).toBe('Bearer realm="upshift"');
      expect(missing.headers['content-type']).toMatch(/^application\/problem\+json/);
      for (const [name, token] of Object.entries(forged)) {
        const res = await send(route.method, route.path, token);
        expect([route.key, name, res.status]).toEqual([route.key, name, 401]);
        expect(res.headers['www-authenticate']).toMatch(
          /^Bearer realm="upshift", error="invalid_token", error_description="/,
        );
      }
    }
    expect(await snapshotRegistryTables(ctx.pg)).toEqual(before);
    await audited(auditedBefore, refused);
  });

  it("answers 404 for another tenant's data and 403 for a role too low, and writes nothing", async () => {
    const before = await snapshotRegistryTables(ctx.pg);
    for (const route of routes()) {
      const needed = RULES[route.key];
      if (needed === undefined || needed === 'public') continue;
      const tenantScoped = route.path.includes(':tenantId');
      const other = await send(route.method, route.path, tokens['otherTenantOperator']);
      const expectedOther = tenantScoped ? 404 : RANK[needed] > RANK.operator ? 403 : 'allowed';
      expect([
        route.key,
        'other tenant',
        expectedOther === 'allowed' ? ![401, 403].includes(other.status) : other.status,
      ]).toEqual([route.key, 'other tenant', expectedOther === 'allowed' ? true : expectedOther]);
      for (const role of ['viewer', 'operator'] as const) {
        if (RANK[needed] <= RANK[role]) continue;
        const res = await send(route.method, route.path, tokens[role]);
        expect([route.key, role, res.status]).toEqual([route.key, role, 403]);
        expect(res.body).toMatchObject({ type: 'urn:upshift:problem:forbidden', requiredRole: needed });
      }
    }
    expect(await snapshotRegistryTables(ctx.pg)).toEqual(before);
  });

  it('lets the least role each rule names through, and an admin everywhere; one audit record per mutating request', async () => {
    const auditedBefore = await auditLog().settled();
    let mutations = 0;
    for (const route of routes()) {
      const needed = RULES[route.key];
      if (needed === undefined || needed === 'public') continue;
      for (const role of ['viewer', 'operator', 'admin'] as const) {
        if (RANK[role] < RANK[needed]) continue;
        const res = await send(route.method, route.path, tokens[role]);
        if (mutating(route.method, route.path)) mutations += 1;
        expect([route.key, role, [401, 403].includes(res.status)]).toEqual([route.key, role, false]);
      }
    }
    await audited(auditedBefore, mutations);
  });
});
