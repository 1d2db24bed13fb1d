import { Client } from 'pg';
import { ExecutionStatus } from '@upshift/contracts';
import { authHeader, TEST_JWT_SECRET } from '@upshift/testing';
import { loadConfig } from '../src/config';
import { RegistryClient } from '../src/registry/registry.client';
import { registerFleet, type Fleet } from './support/fleet-fixture';
import { TestStack } from './support/stack';
import { createUpgrade } from './support/upgrades';

interface TranscriptPage {
  executionId: string;
  lines: { id: string; at: string; line: string }[];
  next: string | null;
}

interface InstancePage {
  executionId: string;
  instances: { id: string; name: string; status: string; batch: number | null }[];
  next: string | null;
}

interface Problem {
  status: number;
  errors?: { field: string; message: string }[];
}

/**
 * The orchestrator's side of bounded lists (ADR 0076): it reads the registry's instance list page by
 * page, so an execution can cover more instances than one page holds; its transcript is paged by line id.
 */
describe('paged lists (e2e)', () => {
  let stack: TestStack;
  let pg: Client;
  let fleet: Fleet;
  /** The execution over all 600 instances, created by the test that says so. */
  let bigExecutionId: string;
  const INSTANCES = 600;

  beforeAll(async () => {
    stack = await TestStack.start('orch_paging');
    pg = new Client({ connectionString: stack.db.url });
    await pg.connect();
    fleet = await registerFleet(stack, INSTANCES);
  }, 180_000);

  afterAll(async () => {
    await pg?.end();
    await stack?.stop();
  });

  it('RegistryClient.listInstances reads every page of a 600-instance inventory, in name order, each once', async () => {
    const client = new RegistryClient(
      loadConfig(
        {
          REGISTRY_URL: stack.registry.url,
          AUTH_JWT_SECRET: TEST_JWT_SECRET,
          AGENT_AUTH_KEY: stack.agentAuthKey,
        },
        {},
      ),
    );
    const all = await client.listInstances(fleet.tenantId, fleet.componentId);
    expect(all.map((i) => i.id)).toEqual(fleet.instanceIds);
    expect(all.map((i) => i.name)).toEqual(fleet.names);

    // The version filter holds across pages too: move 520 of them to the target version.
    const moved = fleet.instanceIds.slice(0, 520);
    const moveTo = (versionId: string) =>
      client.recordInstanceVersions(
        fleet.tenantId,
        moved.map((instanceId) => ({ instanceId, versionId })),
      );
    expect((await moveTo(fleet.toVersionId)).updated).toHaveLength(520);
    try {
      const onTarget = await client.listInstances(fleet.tenantId, fleet.componentId, fleet.toVersionId);
      expect(onTarget.map((i) => i.id)).toEqual(moved);
      const onSource = await client.listInstances(fleet.tenantId, fleet.componentId, fleet.fromVersionId);
      expect(onSource.map((i) => i.id)).toEqual(fleet.instanceIds.slice(520));
    } finally {
      await moveTo(fleet.fromVersionId);
    }
  });

  it('creates an execution over all 600 instances, and the one base URL passes the paging headers through', async () => {
    const execution = await createUpgrade(stack, fleet, { totalInstances: INSTANCES });
    bigExecutionId = execution.id;
    expect(execution.status).toBe(ExecutionStatus.PENDING);
    expect(execution.totalInstances).toBe(INSTANCES);
    // In the planner's order (by name), which is the inventory's.
    const { rows } = await pg.query<{ id: string }>(
      'SELECT id FROM orchestrator.execution_instance WHERE execution_id = $1 ORDER BY position',
      [execution.id],
    );
    expect(rows.map((r) => r.id)).toEqual(fleet.instanceIds);

    const path = `/tenants/${fleet.tenantId}/instances?componentId=${fleet.componentId}&limit=500`;
    const proxied = await stack.request<unknown[]>('GET', path);
    expect(proxied.status).toBe(200);
    expect(proxied.body).toHaveLength(500);
    expect(proxied.headers.get('x-total-count')).toBe(String(INSTANCES));
    expect(proxied.headers.get('link')).toBe(`</api/v1/registry${path}&offset=500>; rel="next"`);
  });

  it("the one OpenAPI document describes the transcript cursor and the registry lists' paging headers", async () => {
    const res = await fetch(`${stack.orchestrator.url}/api/docs-json`);
    const document = (await res.json()) as {
      paths: Record<
        string,
        {
          get?: {
            parameters?: { name: string; in: string }[];
            responses: Record<string, { headers?: Record<string, unknown> }>;
          };
        }
      >;
      components: { schemas: Record<string, { required?: string[] }> };
    };
    const queryOf = (path: string) =>
      (document.paths[path]?.get?.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name);
    expect(queryOf('/api/v1/registry/upgrades/{executionId}/transcript')).toEqual(['limit', 'after']);
    expect(document.components.schemas['Transcript']?.required).toEqual(['executionId', 'lines', 'next']);
    const instances = '/api/v1/registry/tenants/{tenantId}/instances';
    expect(queryOf(instances)).toEqual(expect.arrayContaining(['limit', 'offset']));
    expect(Object.keys(document.paths[instances]?.get?.responses['200']?.headers ?? {}).sort()).toEqual([
      'Link',
      'X-Total-Count',
    ]);
  });

  describe("an execution's instances", () => {
    const instances = (query: string, executionId = bigExecutionId) =>
      stack.request<InstancePage & Problem>('GET', `/upgrades/${executionId}/instances${query}`);

    it('walks all 600 instances once, in the order batches take them, with cursor=next', async () => {
      const first = await instances('');
      expect(first.status).toBe(200);
      expect(first.body.instances).toHaveLength(50);
      expect(first.body.instances[0]).toEqual({
        id: fleet.instanceIds[0],
        name: fleet.names[0],
        status: 'PENDING',
        batch: null,
        startedAt: null,
        completedAt: null,
        error: null,
        outOfSupport: false,
      });
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page = await instances(`?limit=250${cursor === null ? '' : `&cursor=${cursor}`}`);
        expect(page.status).toBe(200);
        seen.push(...page.body.instances.map((i) => i.id));
        cursor = page.body.next;
        pages += 1;
      } while (cursor !== null);
      expect(pages).toBe(3);
      expect(seen).toEqual(fleet.instanceIds);
    });

    it('filters by status across pages, in the same order', async () => {
      // Every third instance failed, written as the engine would leave it.
      const failed = fleet.instanceIds.filter((_, i) => i % 3 === 0);
      await pg.query(
        `UPDATE orchestrator.execution_instance SET status = 'FAILED', error = 'test' WHERE execution_id = $1 AND id = ANY($2)`,
        [bigExecutionId, failed],
      );
      try {
        const seen: string[] = [];
        let cursor: string | null = null;
        do {
          const page = await instances(
            `?status=FAILED&limit=90${cursor === null ? '' : `&cursor=${cursor}`}`,
          );
          expect(page.status).toBe(200);
          expect(page.body.instances.every((i) => i.status === 'FAILED')).toBe(true);
          seen.push(...page.body.instances.map((i) => i.id));
          cursor = page.body.next;
        } while (cursor !== null);
        expect(seen).toEqual(failed);
        const none = await instances('?status=COMPLETED');
        expect(none.body).toEqual({ executionId: bigExecutionId, instances: [], next: null });
      } finally {
        await pg.query(
          `UPDATE orchestrator.execution_instance SET status = 'PENDING', error = NULL WHERE execution_id = $1`,
          [bigExecutionId],
        );
      }
    });

    it('answers 400 naming limit, status or cursor, and 404 for an unknown or unseen execution', async () => {
      for (const [query, field] of [
        ['?limit=501', 'limit'],
        ['?limit=0', 'limit'],
        ['?limit=ten', 'limit'],
        ['?status=DONE', 'status'],
        ['?cursor=-1', 'cursor'],
        ['?cursor=1e3', 'cursor'],
        ['?cursor=1234567890', 'cursor'],
      ]) {
        const refused = await instances(query ?? '');
        expect({ query, status: refused.status }).toEqual({ query, status: 400 });
        expect(refused.body.errors?.map((e) => e.field)).toEqual([field]);
      }
      expect((await instances('', '00000000-0000-4000-8000-000000000000')).status).toBe(404);
      expect((await instances('', 'not-a-uuid')).status).toBe(404);
      const stranger = await stack.request(
        'GET',
        `/upgrades/${bigExecutionId}/instances`,
        undefined,
        await authHeader({ sub: 'viewer-x', tenants: ['tenant-x'], roles: ['viewer'] }),
      );
      expect(stranger.status).toBe(404);
    });
  });

  describe('the transcript', () => {
    let executionId: string;
    let allIds: string[];

    beforeAll(async () => {
      // A PENDING execution writes nothing more: its one line, then 129 written here, are the transcript.
      const small = await registerFleet(stack, 1);
      executionId = (await createUpgrade(stack, small)).id;
      await pg.query(
        `INSERT INTO orchestrator.transcript_line (execution_id, at, line)
         SELECT $1, now(), 'line ' || i FROM generate_series(1, 129) AS i`,
        [executionId],
      );
      const { rows } = await pg.query<{ id: string }>(
        `SELECT id::text AS id FROM orchestrator.transcript_line t WHERE execution_id = $1 ORDER BY t.id`,
        [executionId],
      );
      allIds = rows.map((r) => r.id);
      expect(allIds).toHaveLength(130);
    });

    const transcript = (query: string) =>
      stack.request<TranscriptPage & Problem>('GET', `/upgrades/${executionId}/transcript${query}`);

    it('answers the first 50 lines, oldest first, each with its id, and next to go on', async () => {
      const first = await transcript('');
      expect(first.status).toBe(200);
      expect(first.body.lines.map((l) => l.id)).toEqual(allIds.slice(0, 50));
      expect(first.body.lines[0]?.line).toMatch(/Execution created/);
      expect(first.body.lines[1]).toEqual({ id: allIds[1], at: expect.any(String), line: 'line 1' });
      expect(first.body.next).toBe(allIds[49]);
    });

    it('walks every line exactly once with after=next, ending with next null', async () => {
      const seen: string[] = [];
      let after: string | null = null;
      let pages = 0;
      do {
        const page = await transcript(`?limit=40${after === null ? '' : `&after=${after}`}`);
        expect(page.status).toBe(200);
        expect(page.body.lines.length).toBeLessThanOrEqual(40);
        seen.push(...page.body.lines.map((l) => l.id));
        after = page.body.next;
        pages += 1;
      } while (after !== null);
      expect(pages).toBe(4);
      expect(seen).toEqual(allIds);

      const afterLast = await transcript(`?after=${allIds[129]}`);
      expect(afterLast.body).toEqual({ executionId, lines: [], next: null });
    });

    it('answers up to 500 lines at once; 501, 0, non-integers and a malformed after are 400 naming the field', async () => {
      const all = await transcript('?limit=500');
      expect(all.body.lines.map((l) => l.id)).toEqual(allIds);
      expect(all.body.next).toBeNull();
      const exact = await transcript('?limit=130');
      expect(exact.body.next).toBeNull();
      const oneShort = await transcript('?limit=129');
      expect(oneShort.body.next).toBe(allIds[128]);

      for (const limit of ['501', '0', '1.5', 'all']) {
        const refused = await transcript(`?limit=${limit}`);
        expect({ limit, status: refused.status }).toEqual({ limit, status: 400 });
        expect(refused.body.errors).toEqual([
          { field: 'limit', message: 'limit must be an integer from 1 to 500' },
        ]);
      }
      for (const after of ['abc', '-1', '1e3', '9'.repeat(19)]) {
        const refused = await transcript(`?after=${after}`);
        expect({ after, status: refused.status }).toEqual({ after, status: 400 });
        expect(refused.body.errors?.map((e) => e.field)).toEqual(['after']);
      }
    });
  });
});
