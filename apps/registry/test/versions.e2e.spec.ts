import {
  API,
  outboxEvents,
  RegistryTestContext,
  snapshotRegistryTables,
  startRegistry,
} from './support/registry-test-app';
import {
  createComponent,
  createVersion,
  digestOf,
  releaseVersion,
  versionRequest,
} from './support/catalog-builders';

describe('registry versions (e2e)', () => {
  let ctx: RegistryTestContext;

  beforeAll(async () => {
    ctx = await startRegistry('versions');
  });

  afterAll(async () => {
    await ctx.close();
  });

  describe('creating', () => {
    it('creates a draft with every field, and serves it as the orchestrator reads it', async () => {
      const componentId = await createComponent(ctx.http);
      const sha256 = digestOf('gateway 2.1.0');
      const response = await ctx.http
        .post(`${API}/components/${componentId}/versions`)
        .send({
          version: '2.1.0',
          channel: 'beta',
          releaseNotes: 'HTTP/3',
          artifact: {
            url: 'https://artifacts.example.com/gw/2.1.0.tgz',
            sha256: sha256.toUpperCase(),
            signature: null,
          },
          breaking: true,
          requiresMigration: true,
          mandatory: true,
          downgradeAllowed: false,
          dependencies: { kafka: '>=3.5.0 <4.0.0', postgresql: '^16.0.0' },
          supportedUntil: '2027-06-30',
        })
        .expect(201);
      expect(response.body).toEqual({
        id: expect.any(String),
        componentId,
        version: '2.1.0',
        channel: 'beta',
        status: 'draft',
        artifact: { url: 'https://artifacts.example.com/gw/2.1.0.tgz', sha256, signature: null },
        signed: false,
        signingKeyId: null,
        signatureRequired: false,
        breaking: true,
        requiresMigration: true,
        mandatory: true,
        downgradeAllowed: false,
        dependencies: { kafka: '>=3.5.0 <4.0.0', postgresql: '^16.0.0' },
        releaseNotes: 'HTTP/3',
        supportedUntil: '2027-06-30',
        publishedAt: null,
        deprecatedAt: null,
        yankedAt: null,
        yankReason: null,
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });
      const fetched = await ctx.http
        .get(`${API}/components/${componentId}/versions/${response.body.id}`)
        .expect(200);
      expect(fetched.body).toEqual(response.body);

      const row = await ctx.pg.query(
        'SELECT major, minor, patch, prerelease FROM registry.version WHERE id = $1',
        [response.body.id],
      );
      expect(row.rows[0]).toEqual({ major: 2, minor: 1, patch: 0, prerelease: null });
    });

    it('applies defaults: stable channel, no flags except downgradeAllowed, no dependencies', async () => {
      const componentId = await createComponent(ctx.http);
      const response = await ctx.http
        .post(`${API}/components/${componentId}/versions`)
        .send({ version: '1.0.0', artifact: { url: 'https://a.example.com/1.0.0', sha256: digestOf('x') } })
        .expect(201);
      expect(response.body).toMatchObject({
        channel: 'stable',
        status: 'draft',
        breaking: false,
        requiresMigration: false,
        mandatory: false,
        downgradeAllowed: true,
        dependencies: {},
        releaseNotes: '',
        supportedUntil: null,
        artifact: { signature: null },
      });
    });

    it('refuses a duplicate version with 409 naming the existing one, and changes nothing', async () => {
      const componentId = await createComponent(ctx.http);
      const first = await createVersion(ctx.http, componentId, { version: '1.2.3' });
      const before = await snapshotRegistryTables(ctx.pg);
      const response = await ctx.http
        .post(`${API}/components/${componentId}/versions`)
        .send(versionRequest({ version: '1.2.3', channel: 'beta' }))
        .expect(409);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.body).toMatchObject({
        type: 'urn:upshift:problem:duplicate',
        resource: 'version',
        field: 'version',
        existingId: first.id,
      });
      expect(response.body.detail).toContain('1.2.3');
      expect(await snapshotRegistryTables(ctx.pg)).toEqual(before);
    });

    it('allows the same version number in two components', async () => {
      const a = await createComponent(ctx.http);
      const b = await createComponent(ctx.http);
      await createVersion(ctx.http, a, { version: '1.0.0' });
      await createVersion(ctx.http, b, { version: '1.0.0' });
    });

    it('refuses an invalid body with 400 naming each field, and writes nothing', async () => {
      const componentId = await createComponent(ctx.http);
      const before = await snapshotRegistryTables(ctx.pg);
      const response = await ctx.http
        .post(`${API}/components/${componentId}/versions`)
        .send({
          version: 'v2',
          channel: 'nightly',
          releaseNotes: 5,
          artifact: { url: 'not a url', sha256: 'abc', signature: 'short' },
          breaking: 'yes',
          requiresMigration: 1,
          mandatory: 'no',
          downgradeAllowed: 'sometimes',
          dependencies: { kafka: 'three-ish', Bad_Name: '^1.0.0' },
          supportedUntil: 'next year',
          author: 'someone',
        })
        .expect(400);
      const fields = new Set(response.body.errors.map((e: { field: string }) => e.field));
      expect(fields).toEqual(
        new Set([
          'version',
          'channel',
          'releaseNotes',
          'artifact.url',
          'artifact.sha256',
          'artifact.signature',
          'breaking',
          'requiresMigration',
          'mandatory',
          'downgradeAllowed',
          'dependencies',
          'supportedUntil',
          'author',
        ]),
      );
      const dependencies = response.body.errors.find((e: { field: string }) => e.field === 'dependencies');
      expect(dependencies.message).toContain('dependencies["kafka"]');
      expect(dependencies.message).toContain('dependencies["Bad_Name"]');
      expect(await snapshotRegistryTables(ctx.pg)).toEqual(before);
    });

    it.each([
      ['1.2', 'not a semantic version'],
      ['v1.2.3', 'write "1.2.3"'],
      ['1.2.3+build.5', 'build metadata'],
    ])('explains why version %s is refused', async (version, reason) => {
      const componentId = await createComponent(ctx.http);
      const response = await ctx.http
        .post(`${API}/components/${componentId}/versions`)
        .send(versionRequest({ version }))
        .expect(400);
      expect(response.body.errors).toEqual([{ field: 'version', message: expect.stringContaining(reason) }]);
    });

    it('requires the artifact', async () => {
      const componentId = await createComponent(ctx.http);
      const response = await ctx.http
        .post(`${API}/components/${componentId}/versions`)
        .send({ version: '1.0.0' })
        .expect(400);
      expect(response.body.errors.map((e: { field: string }) => e.field)).toContain('artifact');
    });

    it('names the missing component in a 404 and writes nothing', async () => {
      const missing = '0b5a3c3e-1111-4111-8111-111111111111';
      const before = await snapshotRegistryTables(ctx.pg);
      const response = await ctx.http
        .post(`${API}/components/${missing}/versions`)
        .send(versionRequest({ version: '1.0.0' }))
        .expect(404);
      expect(response.body).toMatchObject({ resource: 'component', resourceId: missing });
      expect(await snapshotRegistryTables(ctx.pg)).toEqual(before);
    });
  });

  describe('listing and reading', () => {
    let componentId: string;

    beforeAll(async () => {
      componentId = await createComponent(ctx.http);
      // Created out of order on purpose: the list is in semver precedence, not creation order.
      await releaseVersion(ctx.http, componentId, { version: '1.10.0' });
      await releaseVersion(ctx.http, componentId, { version: '1.2.0', status: 'deprecated' });
      await releaseVersion(ctx.http, componentId, { version: '2.0.0-beta.10', channel: 'beta' });
      await releaseVersion(ctx.http, componentId, { version: '2.0.0-beta.2', channel: 'beta' });
      await releaseVersion(ctx.http, componentId, { version: '2.0.0', status: 'draft' });
      await releaseVersion(ctx.http, componentId, { version: '0.9.0', status: 'yanked' });
    });

    it('lists versions in semver precedence order', async () => {
      const response = await ctx.http.get(`${API}/components/${componentId}/versions`).expect(200);
      expect(response.body.map((v: { version: string }) => v.version)).toEqual([
        '0.9.0',
        '1.2.0',
        '1.10.0',
        '2.0.0-beta.2',
        '2.0.0-beta.10',
        '2.0.0',
      ]);
    });

    it('filters by channel and by status', async () => {
      const beta = await ctx.http.get(`${API}/components/${componentId}/versions?channel=beta`).expect(200);
      expect(beta.body.map((v: { version: string }) => v.version)).toEqual(['2.0.0-beta.2', '2.0.0-beta.10']);
      const published = await ctx.http
        .get(`${API}/components/${componentId}/versions?status=published`)
        .expect(200);
      expect(published.body.map((v: { version: string }) => v.version)).toEqual([
        '1.10.0',
        '2.0.0-beta.2',
        '2.0.0-beta.10',
      ]);
      const both = await ctx.http
        .get(`${API}/components/${componentId}/versions?channel=stable&status=deprecated`)
        .expect(200);
      expect(both.body.map((v: { version: string }) => v.version)).toEqual(['1.2.0']);
    });

    it('names invalid query parameters', async () => {
      const response = await ctx.http
        .get(`${API}/components/${componentId}/versions?channel=nightly&status=gone`)
        .expect(400);
      expect(new Set(response.body.errors.map((e: { field: string }) => e.field))).toEqual(
        new Set(['channel', 'status']),
      );
    });

    it('answers 404 for the versions of a missing component', async () => {
      await ctx.http.get(`${API}/components/0b5a3c3e-2222-4222-8222-222222222222/versions`).expect(404);
    });

    it('answers 404 naming the version when it belongs to another component', async () => {
      const other = await createComponent(ctx.http);
      const foreign = await createVersion(ctx.http, other, { version: '9.9.9' });
      const response = await ctx.http
        .get(`${API}/components/${componentId}/versions/${foreign.id}`)
        .expect(404);
      expect(response.body).toMatchObject({ resource: 'version', resourceId: foreign.id });
      expect(response.body.detail).toContain(componentId);
    });

    it('names both path parameters when neither is a UUID', async () => {
      const response = await ctx.http.get(`${API}/components/x/versions/y`).expect(400);
      expect(response.body.errors).toEqual([
        { field: 'componentId', message: 'componentId must be a UUID, got "x"' },
        { field: 'versionId', message: 'versionId must be a UUID, got "y"' },
      ]);
      const second = await ctx.http.get(`${API}/components/${componentId}/versions/y`).expect(400);
      expect(second.body.errors).toEqual([{ field: 'versionId', message: expect.stringContaining('UUID') }]);
    });
  });

  describe('lifecycle', () => {
    it('moves draft → published → deprecated → yanked, stamping each step and writing its event', async () => {
      const componentId = await createComponent(ctx.http);
      const draft = await createVersion(ctx.http, componentId, { version: '3.0.0' });
      const base = `${API}/components/${componentId}/versions/${draft.id}`;

      const published = await ctx.http.post(`${base}/publish`).expect(200);
      expect(published.body).toMatchObject({
        status: 'published',
        signed: false,
        publishedAt: expect.any(String),
      });
      const deprecated = await ctx.http.post(`${base}/deprecate`).expect(200);
      expect(deprecated.body).toMatchObject({ status: 'deprecated', deprecatedAt: expect.any(String) });
      const yanked = await ctx.http.post(`${base}/yank`).send({ reason: 'CVE-2025-0001' }).expect(200);
      expect(yanked.body).toMatchObject({
        status: 'yanked',
        yankedAt: expect.any(String),
        yankReason: 'CVE-2025-0001',
      });

      const events = (await outboxEvents(ctx.pg)).filter((e) => e.data['versionId'] === draft.id);
      expect(events.map((e) => e.type)).toEqual([
        'upshift.registry.VersionPublished',
        'upshift.registry.VersionDeprecated',
        'upshift.registry.VersionYanked',
      ]);
      for (const event of events) {
        expect(event.topic).toBe('registry.events');
        expect(event.key).toBe(componentId);
      }
      expect(events[2]?.data).toMatchObject({
        kind: 'VersionYanked',
        version: '3.0.0',
        reason: 'CVE-2025-0001',
      });
    });

    it('yanks a published version directly', async () => {
      const componentId = await createComponent(ctx.http);
      const version = await releaseVersion(ctx.http, componentId, { version: '1.0.0' });
      const response = await ctx.http
        .post(`${API}/components/${componentId}/versions/${version.id}/yank`)
        .expect(200);
      expect(response.body).toMatchObject({ status: 'yanked', yankReason: null });
    });

    it.each([
      ['draft', 'deprecate', ['publish']],
      ['draft', 'yank', ['publish']],
      ['published', 'publish', ['deprecate', 'yank']],
      ['deprecated', 'publish', ['yank']],
      ['deprecated', 'deprecate', ['yank']],
      ['yanked', 'publish', []],
      ['yanked', 'deprecate', []],
      ['yanked', 'yank', []],
    ] as const)(
      'refuses %s → %s with 409, the current status and the allowed operations, changing nothing',
      async (status, action, allowed) => {
        const componentId = await createComponent(ctx.http);
        const version = await releaseVersion(ctx.http, componentId, { version: '1.0.0', status });
        const before = await snapshotRegistryTables(ctx.pg);
        const response = await ctx.http
          .post(`${API}/components/${componentId}/versions/${version.id}/${action}`)
          .expect(409);
        expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(response.body).toMatchObject({
          type: 'urn:upshift:problem:invalid-status-transition',
          status: 409,
          currentStatus: status,
          attemptedOperation: action,
          allowedOperations: allowed,
        });
        expect(response.body.detail).toContain(`is ${status}`);
        expect(await snapshotRegistryTables(ctx.pg)).toEqual(before);
      },
    );

    it('answers 404 for a status change of a version of another component, changing nothing', async () => {
      const componentId = await createComponent(ctx.http);
      const other = await createComponent(ctx.http);
      const foreign = await createVersion(ctx.http, other, { version: '1.0.0' });
      const before = await snapshotRegistryTables(ctx.pg);
      const response = await ctx.http
        .post(`${API}/components/${componentId}/versions/${foreign.id}/publish`)
        .expect(404);
      expect(response.body).toMatchObject({ resource: 'version', resourceId: foreign.id });
      expect(await snapshotRegistryTables(ctx.pg)).toEqual(before);
    });

    it('refuses an unknown field in a yank body', async () => {
      const componentId = await createComponent(ctx.http);
      const version = await releaseVersion(ctx.http, componentId, { version: '1.0.0' });
      const response = await ctx.http
        .post(`${API}/components/${componentId}/versions/${version.id}/yank`)
        .send({ reason: 'x', force: true })
        .expect(400);
      expect(response.body.errors).toEqual([{ field: 'force', message: expect.any(String) }]);
    });

    it('publishes each draft once when two publishes race', async () => {
      const componentId = await createComponent(ctx.http);
      const draft = await createVersion(ctx.http, componentId, { version: '5.0.0' });
      const url = `${API}/components/${componentId}/versions/${draft.id}/publish`;
      const statuses = (await Promise.all([ctx.http.post(url), ctx.http.post(url), ctx.http.post(url)])).map(
        (r) => r.status,
      );
      expect(statuses.sort()).toEqual([200, 409, 409]);
      const events = (await outboxEvents(ctx.pg)).filter((e) => e.data['versionId'] === draft.id);
      expect(events).toHaveLength(1);
    });
  });
});
