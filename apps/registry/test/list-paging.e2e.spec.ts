import * as semver from 'semver';
import type { Response } from 'supertest';
import { API, RegistryTestContext, startRegistry } from './support/registry-test-app';
import { createComponent, releaseVersion } from './support/catalog-builders';

/**
 * Every registry list answers one page (ADR 0076): `limit` 1–500 (default 50), `offset` ≥ 0, the body
 * an array, `X-Total-Count` and a `Link: <…>; rel="next"` while rows remain. The bulk rows are written
 * straight into the tables (hundreds of API calls would only slow the suite down); what is under test
 * is how they are listed.
 */
describe('registry lists are paged (e2e)', () => {
  let ctx: RegistryTestContext;
  const tenant = 'paging-tenant';

  /** Each list, with the ids of all its rows in the order the registry must serve them. */
  const lists: { name: string; path: string; expected: string[] }[] = [];
  let componentId: string;
  let publishedVersionIds: string[];
  let instancesOfA: string[];
  let componentA: string;

  beforeAll(async () => {
    ctx = await startRegistry('list_paging');
    const pg = ctx.pg;

    // 520 components: past the largest page.
    await pg.query(
      `INSERT INTO registry.component (name, kind)
       SELECT 'comp-' || lpad(i::text, 4, '0'), 'service' FROM generate_series(1, 520) AS i`,
    );
    // A few through the API as well, with names that sort among the others.
    for (const name of ['comp-0100a', 'aaa-first', 'zzz-last']) {
      await ctx.http.post(`${API}/components`).send({ name, kind: 'service' }).expect(201);
    }

    // 514 versions of one component: 510 releases, and prereleases written out of precedence order.
    componentId = await createComponent(ctx.http);
    await pg.query(
      `INSERT INTO registry.version
         (component_id, version, major, minor, patch, prerelease, channel, status, artifact_url, artifact_sha256)
       SELECT $1, '1.' || (i / 100) || '.' || (i % 100), 1, i / 100, i % 100, NULL, 'stable',
              CASE WHEN i % 3 = 0 THEN 'published' ELSE 'draft' END, 'https://a.example.com/x.tgz', repeat('a', 64)
         FROM generate_series(0, 509) AS i`,
      [componentId],
    );
    for (const prerelease of ['beta', 'alpha.10', 'alpha', 'alpha.2']) {
      await pg.query(
        `INSERT INTO registry.version
           (component_id, version, major, minor, patch, prerelease, channel, status, artifact_url, artifact_sha256)
         VALUES ($1, $2, 1, 0, 5, $3, 'beta', 'draft', 'https://a.example.com/x.tgz', repeat('b', 64))`,
        [componentId, `1.0.5-${prerelease}`, prerelease],
      );
    }
    const versions = await pg.query<{ id: string; version: string; status: string }>(
      'SELECT id, version, status FROM registry.version WHERE component_id = $1',
      [componentId],
    );
    const inPrecedence = versions.rows.sort((a, b) => semver.compare(a.version, b.version));
    expect(inPrecedence.slice(5, 10).map((v) => v.version)).toEqual([
      '1.0.5-alpha',
      '1.0.5-alpha.2',
      '1.0.5-alpha.10',
      '1.0.5-beta',
      '1.0.5',
    ]);
    publishedVersionIds = inPrecedence.filter((v) => v.status === 'published').map((v) => v.id);
    lists.push({
      name: 'versions',
      path: `${API}/components/${componentId}/versions`,
      expected: inPrecedence.map((v) => v.id),
    });

    // 505 signing keys, added ten at a time: equal created_at within each ten, so the id decides.
    await pg.query(
      `INSERT INTO registry.signing_key (component_id, public_key_pem, fingerprint, created_at)
       SELECT $1, 'pem ' || i, lpad(to_hex(i), 64, '0'), timestamptz '2026-01-01 00:00:00Z' + (i / 10) * interval '1 second'
         FROM generate_series(1, 505) AS i`,
      [componentId],
    );
    const keys = await pg.query<{ id: string; created_at: Date }>(
      'SELECT id, created_at FROM registry.signing_key WHERE component_id = $1',
      [componentId],
    );
    lists.push({
      name: 'signing keys',
      path: `${API}/components/${componentId}/signing-keys`,
      expected: keys.rows
        .sort((a, b) => a.created_at.getTime() - b.created_at.getTime() || byteOrder(a.id, b.id))
        .map((k) => k.id),
    });

    // 530 instances of two components that use the same names: the id orders equal names.
    componentA = await createComponent(ctx.http);
    const componentB = await createComponent(ctx.http);
    const versionA = await releaseVersion(ctx.http, componentA, { version: '1.0.0' });
    const versionB = await releaseVersion(ctx.http, componentB, { version: '1.0.0' });
    for (const [component, version, count] of [
      [componentA, versionA.id, 300],
      [componentB, versionB.id, 230],
    ] as const) {
      await pg.query(
        `INSERT INTO registry.instance (tenant_id, component_id, version_id, name, agent_url)
         SELECT $1, $2, $3, 'node-' || lpad(i::text, 4, '0'), 'http://10.0.0.1:7070' FROM generate_series(1, $4::int) AS i`,
        [tenant, component, version, count],
      );
    }
    const instances = await pg.query<{ id: string; name: string; component_id: string }>(
      'SELECT id, name, component_id FROM registry.instance WHERE tenant_id = $1',
      [tenant],
    );
    const ordered = instances.rows.sort((a, b) => byteOrder(a.name, b.name) || byteOrder(a.id, b.id));
    instancesOfA = ordered.filter((i) => i.component_id === componentA).map((i) => i.id);
    lists.push({
      name: 'instances',
      path: `${API}/tenants/${tenant}/instances`,
      expected: ordered.map((i) => i.id),
    });
    // Last: the versions and instances above needed components of their own.
    const components = await pg.query<{ id: string; name: string }>(
      'SELECT id, name FROM registry.component',
    );
    lists.push({
      name: 'components',
      path: `${API}/components`,
      expected: components.rows
        .sort((a, b) => byteOrder(a.name, b.name) || byteOrder(a.id, b.id))
        .map((r) => r.id),
    });
  }, 120_000);

  afterAll(async () => {
    await ctx.close();
  });

  const list = (name: string) => {
    const found = lists.find((l) => l.name === name);
    if (found === undefined) throw new Error(`no list ${name}`);
    return found;
  };
  const NAMES = ['components', 'versions', 'signing keys', 'instances'];

  it.each(NAMES)('%s: 50 rows by default, the total and a link to the next 50', async (name) => {
    const { path, expected } = list(name);
    expect(expected.length).toBeGreaterThan(500);
    const response = await ctx.http.get(path).expect(200);
    expect(ids(response)).toEqual(expected.slice(0, 50));
    expect(response.headers['x-total-count']).toBe(String(expected.length));
    expect(response.headers['link']).toBe(`<${path}?offset=50>; rel="next"`);
  });

  it.each(NAMES)(
    '%s: limit=500 is the most one page holds; 501, 0 and non-integers are 400 naming limit',
    async (name) => {
      const { path, expected } = list(name);
      const full = await ctx.http.get(`${path}?limit=500`).expect(200);
      expect(ids(full)).toEqual(expected.slice(0, 500));
      expect(full.headers['link']).toBe(`<${path}?limit=500&offset=500>; rel="next"`);

      for (const limit of ['501', '0', '-1', '2.5', 'many', '']) {
        const refused = await ctx.http.get(`${path}?limit=${limit}`).expect(400);
        expect(refused.headers['content-type']).toMatch(/application\/problem\+json/);
        expect(refused.body.errors).toEqual([
          { field: 'limit', message: 'limit must be an integer from 1 to 500' },
        ]);
      }
      for (const offset of ['-1', '1.5', 'next']) {
        const refused = await ctx.http.get(`${path}?offset=${offset}`).expect(400);
        expect(refused.body.errors).toEqual([
          { field: 'offset', message: 'offset must be an integer of 0 or more' },
        ]);
      }
    },
  );

  it.each(NAMES)(
    '%s: following Link from the first page reads every row exactly once, in order',
    async (name) => {
      const { path, expected } = list(name);
      const seen: string[] = [];
      let next: string | null = `${path}?limit=97`;
      let pages = 0;
      while (next !== null) {
        const response: Response = await ctx.http.get(next).expect(200);
        expect(response.headers['x-total-count']).toBe(String(expected.length));
        pages += 1;
        seen.push(...ids(response));
        next = nextOf(response);
        if (next !== null) expect(next).toBe(`${path}?limit=97&offset=${pages * 97}`);
      }
      expect(pages).toBe(Math.ceil(expected.length / 97));
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen).toEqual(expected);
    },
  );

  it.each(NAMES)('%s: the last page has no Link; an offset past the end is an empty page', async (name) => {
    const { path, expected } = list(name);
    const last = await ctx.http.get(`${path}?offset=${expected.length - 3}`).expect(200);
    expect(ids(last)).toEqual(expected.slice(-3));
    expect(last.headers['link']).toBeUndefined();
    expect(last.headers['x-total-count']).toBe(String(expected.length));

    const past = await ctx.http.get(`${path}?offset=${expected.length + 10}&limit=5`).expect(200);
    expect(past.body).toEqual([]);
    expect(past.headers['link']).toBeUndefined();
    expect(past.headers['x-total-count']).toBe(String(expected.length));
  });

  it('filters and paging combine: the total and the links keep the filter', async () => {
    const versions = `${API}/components/${componentId}/versions`;
    const published = await ctx.http.get(`${versions}?status=published&limit=100`).expect(200);
    expect(published.headers['x-total-count']).toBe(String(publishedVersionIds.length));
    expect(ids(published)).toEqual(publishedVersionIds.slice(0, 100));
    expect(published.headers['link']).toBe(`<${versions}?status=published&limit=100&offset=100>; rel="next"`);

    const instances = `${API}/tenants/${tenant}/instances`;
    const ofA = await ctx.http.get(`${instances}?componentId=${componentA}&limit=200&offset=200`).expect(200);
    expect(ofA.headers['x-total-count']).toBe('300');
    expect(ids(ofA)).toEqual(instancesOfA.slice(200, 300));
    expect(ofA.headers['link']).toBeUndefined();
  });

  it('documents limit, offset, X-Total-Count and Link on every list', async () => {
    const document = (await ctx.http.get('/api/docs-json').expect(200)).body as {
      paths: Record<
        string,
        {
          get: {
            parameters: { name: string; in: string }[];
            responses: Record<string, { headers?: Record<string, unknown> }>;
          };
        }
      >;
    };
    for (const path of [
      '/api/v1/registry/components',
      '/api/v1/registry/components/{componentId}/versions',
      '/api/v1/registry/components/{componentId}/signing-keys',
      '/api/v1/registry/tenants/{tenantId}/instances',
    ]) {
      const get = document.paths[path]?.get;
      const query = get?.parameters.filter((p) => p.in === 'query').map((p) => p.name);
      expect({ path, query }).toEqual({ path, query: expect.arrayContaining(['limit', 'offset']) });
      expect(Object.keys(get?.responses['200']?.headers ?? {}).sort()).toEqual(['Link', 'X-Total-Count']);
      expect(get?.responses['400']).toBeDefined();
    }
  });
});

function ids(response: Response): string[] {
  return (response.body as { id: string }[]).map((row) => row.id);
}

/** The target of `Link: <…>; rel="next"`, which the registry always writes in exactly this form. */
function nextOf(response: Response): string | null {
  const link = response.headers['link'] as string | undefined;
  if (link === undefined) return null;
  const match = /^<([^>]+)>; rel="next"$/.exec(link);
  if (match === null) throw new Error(`unexpected Link header: ${link}`);
  return match[1] ?? null;
}

/** PostgreSQL's COLLATE "C" and its uuid order: compare the bytes (the strings here are ASCII). */
function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
