import { Client } from 'pg';
import { ExecutionStatus } from '@upshift/contracts';
import type { Role } from '@upshift/http';
import { appRoutes, auditLogCounter, forgedTokens, testToken } from '@upshift/testing';
import { registerFleet } from './support/fleet-fixture';
import { TestStack } from './support/stack';
import { createUpgrade, operate } from './support/upgrades';

const API = '/api/v1/registry';

/**
 * Who may call each route the orchestrator serves itself (docs/api-contract.md, "Security"). Every route
 * of the running app must be listed: a new route without a rule fails the first test. The registry's
 * paths, which the orchestrator forwards, are proven by the registry's own access-control suite.
 */
const RULES: Record<string, Role | 'public'> = {
  'GET /health/live': 'public',
  'GET /health/ready': 'public',
  [`POST ${API}/tenants/:tenantId/upgrades`]: 'operator',
  [`GET ${API}/tenants/:tenantId/upgrades`]: 'viewer',
  [`GET ${API}/tenants/:tenantId/components/:componentId/upgrades/active`]: 'viewer',
  [`GET ${API}/components/:componentId/upgrade-statistics`]: 'viewer',
  [`GET ${API}/upgrades/:executionId`]: 'viewer',
  [`GET ${API}/upgrades/:executionId/instances`]: 'viewer',
  [`GET ${API}/upgrades/:executionId/transcript`]: 'viewer',
  [`GET ${API}/upgrades/:executionId/events`]: 'viewer',
  [`GET ${API}/tenants/:tenantId/events`]: 'viewer',
  [`POST ${API}/upgrades/:executionId/start`]: 'operator',
  [`POST ${API}/upgrades/:executionId/promote-canary`]: 'operator',
  [`POST ${API}/upgrades/:executionId/pause`]: 'operator',
  [`POST ${API}/upgrades/:executionId/resume`]: 'operator',
  [`POST ${API}/upgrades/:executionId/cancel`]: 'operator',
  [`POST ${API}/upgrades/:executionId/rollback`]: 'operator',
  [`GET ${API}/audit`]: 'viewer',
};

/** Routes whose data belongs to one tenant: outside the token's tenants they answer 404. */
const tenantScoped = (path: string) => path.includes(':tenantId') || path.includes(':executionId');

const AUDIENCE = 'upshift-api';
const RANK: Record<Role, number> = { viewer: 1, operator: 2, admin: 3 };

/** Every row of the orchestrator's business tables, to prove that refused requests wrote nothing. */
async function snapshot(pg: Client): Promise<Record<string, unknown[]>> {
  const tables: Record<string, string> = {
    execution: 'SELECT * FROM orchestrator.execution ORDER BY id',
    execution_instance: 'SELECT * FROM orchestrator.execution_instance ORDER BY id',
    transcript_line: 'SELECT * FROM orchestrator.transcript_line ORDER BY id',
    outbox:
      "SELECT id, topic, message_key, payload FROM orchestrator.outbox WHERE topic <> 'audit.events' ORDER BY id",
  };
  const result: Record<string, unknown[]> = {};
  for (const [name, sql] of Object.entries(tables)) result[name] = (await pg.query(sql)).rows;
  return result;
}

describe('orchestrator access control (e2e)', () => {
  let stack: TestStack;
  let pg: Client;
  const params: Record<string, string> = {};
  let forged: Record<string, string>;
  let tokens: Record<string, string>;

  beforeAll(async () => {
    stack = await TestStack.start('orch_access', { AUTH_AUDIENCE: AUDIENCE });
    const fleet = await registerFleet(stack, 2);
    const created = await createUpgrade(stack, fleet);
    // A finished execution: any operation an allowed caller sends is a 409, so nothing moves.
    expect((await operate(stack, created.id, 'cancel')).body.status).toBe(ExecutionStatus.CANCELLED);
    Object.assign(params, {
      tenantId: fleet.tenantId,
      componentId: fleet.componentId,
      executionId: created.id,
    });
    pg = new Client({ connectionString: stack.db.url });
    await pg.connect();
    forged = await forgedTokens(AUDIENCE);
    const token = (roles: Role[], tenants: string[]) =>
      testToken({ roles, tenants, audience: AUDIENCE, sub: `${roles[0]}@${tenants[0]}` });
    tokens = {
      otherTenantOperator: await token(['operator'], ['someone-else']),
      viewer: await token(['viewer'], [fleet.tenantId]),
      operator: await token(['operator'], [fleet.tenantId]),
      admin: await token(['admin'], ['*']),
    };
  });

  afterAll(async () => {
    await pg?.end();
    await stack?.stop();
  });

  const auditLog = () => auditLogCounter(pg, 'orchestrator');
  /** The audit log grew by exactly `expected` records. */
  const audited = async (since: number, expected: number) => {
    expect(await auditLog().grewBy(since, expected)).toBe(expected);
  };

  const routes = () => appRoutes(stack.orchestrator.app).map((r) => ({ ...r, key: `${r.method} ${r.path}` }));
  const send = async (method: string, path: string, token: string) => {
    const url = path.replace(/:(\w+)/g, (_, name: string) => params[name] ?? `missing-${name}`);
    const res = await fetch(`${stack.orchestrator.url}${url}`, {
      method,
      headers: {
        ...(token === '' ? {} : { authorization: `Bearer ${token}` }),
        ...(method === 'POST' ? { 'content-type': 'application/json' } : {}),
      },
      body: method === 'POST' ? '{}' : undefined,
    });
    // An event stream answers with its headers and goes on (a tenant's never ends): its status is the answer.
    const streaming = res.headers.get('content-type')?.startsWith('text/event-stream') ?? false;
    if (streaming) await res.body?.cancel();
    const text = streaming ? '' : await res.text();
    return {
      status: res.status,
      headers: res.headers,
      body: (text ? JSON.parse(text) : null) as Record<string, unknown>,
    };
  };

  it('has a rule for every route the app serves', () => {
    const served = routes()
      .map((r) => r.key)
      .sort();
    expect(served).toEqual(Object.keys(RULES).sort());
  });

  it('refuses bad or missing credentials with 401 on every non-public route, writes nothing, and audits each', async () => {
    const before = await snapshot(pg);
    const auditedBefore = await auditLog().settled();
    let refused = 0;
    for (const route of routes()) {
      if (RULES[route.key] === 'public') continue;
      const missing = await send(route.method, route.path, '');
      refused += 1 + Object.keys(forged).length;
      expect([route.key, 'none', missing.status]).toEqual([route.key, 'none', 401]);
      expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="upshift"');
      expect(missing.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      for (const [name, token] of Object.entries(forged)) {
        const res = await send(route.method, route.path, token);
        expect([route.key, name, res.status]).toEqual([route.key, name, 401]);
      }
    }
    expect(await snapshot(pg)).toEqual(before);
    await audited(auditedBefore, refused);
  });

  it("answers 404 for another tenant's executions exactly as for missing ones, 403 for a role too low, and writes nothing", async () => {
    const before = await snapshot(pg);
    const missingExecution = await send(
      'GET',
      `${API}/upgrades/00000000-0000-4000-8000-000000000000`,
      tokens['admin'] ?? '',
    );
    for (const route of routes()) {
      const needed = RULES[route.key];
      if (needed === undefined || needed === 'public') continue;
      const other = await send(route.method, route.path, tokens['otherTenantOperator'] ?? '');
      if (tenantScoped(route.path)) {
        expect([route.key, other.status]).toEqual([route.key, 404]);
        expect(other.body['type']).toBe('urn:upshift:problem:not-found');
        if (route.path.endsWith(':executionId')) {
          // Same title and wording as a missing execution: nothing tells the two apart but the id.
          expect(other.body['title']).toBe(missingExecution.body['title']);
        }
      } else {
        expect([route.key, [401, 403, 404].includes(other.status)]).toEqual([route.key, false]);
      }
      for (const role of ['viewer', 'operator'] as const) {
        if (RANK[needed] <= RANK[role]) continue;
        const res = await send(route.method, route.path, tokens[role] ?? '');
        expect([route.key, role, res.status]).toEqual([route.key, role, 403]);
        expect(res.body).toMatchObject({ type: 'urn:upshift:problem:forbidden', requiredRole: needed });
      }
    }
    expect(await snapshot(pg)).toEqual(before);
  });

  it('lets the least role each rule names through, and an admin everywhere; one audit record per mutating request', async () => {
    const auditedBefore = await auditLog().settled();
    let mutations = 0;
    for (const route of routes()) {
      const needed = RULES[route.key];
      if (needed === undefined || needed === 'public') continue;
      for (const role of ['viewer', 'operator', 'admin'] as const) {
        if (RANK[role] < RANK[needed]) continue;
        const res = await send(route.method, route.path, tokens[role] ?? '');
        if (route.method !== 'GET') mutations += 1;
        expect([route.key, role, [401, 403].includes(res.status)]).toEqual([route.key, role, false]);
      }
    }
    await audited(auditedBefore, mutations);
  });

  it('counts only the caller tenants in the statistics', async () => {
    const path = `${API}/components/${params['componentId']}/upgrade-statistics`;
    const mine = await send('GET', path, tokens['viewer'] ?? '');
    const others = await send('GET', path, tokens['otherTenantOperator'] ?? '');
    expect(mine.body['totalExecutions']).toBe(1);
    expect(others.body['totalExecutions']).toBe(0);
  });
});
