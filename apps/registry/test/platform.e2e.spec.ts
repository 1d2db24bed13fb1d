import { adminDatabaseUrl, createTestDatabase, TEST_JWT_SECRET, testToken } from '@upshift/testing';
import { randomBytes } from 'crypto';
import { Client } from 'pg';
import { Writable } from 'stream';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { InvalidConfigError } from '../src/config';
import { REGISTRY_MIGRATIONS } from '../src/database/registry-data-source';
import { createRegistryApp } from '../src/main';
import { API, RegistryTestContext, startRegistry } from './support/registry-test-app';

const quiet = {
  PORT: 0,
  KAFKA_BROKERS: '127.0.0.1:1',
  OUTBOX_RELAY_ENABLED: false,
  LOG_LEVEL: 'silent',
  AUTH_JWT_SECRET: TEST_JWT_SECRET,
} as const;

describe('registry platform (e2e)', () => {
  describe('a running registry', () => {
    let ctx: RegistryTestContext;
    const logLines: Record<string, unknown>[] = [];

    beforeAll(async () => {
      const destination = new Writable({
        write(chunk: Buffer, _encoding, done) {
          for (const line of chunk.toString().split('\n').filter(Boolean)) logLines.push(JSON.parse(line));
          done();
        },
      });
      // Requests are logged at debug only (as in the orchestrator).
      ctx = await startRegistry('platform', { LOG_LEVEL: 'debug' }, { logDestination: destination });
    });

    afterAll(async () => {
      await ctx.close();
    });

    it('answers liveness and readiness (PostgreSQL up)', async () => {
      await ctx.http
        .get('/health/live')
        .expect(200)
        .expect({ status: 'ok', info: {}, error: {}, details: {} });
      const ready = await ctx.http.get('/health/ready').expect(200);
      expect(ready.body).toMatchObject({ status: 'ok', info: { postgres: { status: 'up' } } });
    });

    it('serves the OpenAPI document with every endpoint', async () => {
      await ctx.http.get('/api/docs').expect(200).expect('content-type', /html/);
      const document = await ctx.http.get('/api/docs-json').expect(200);
      const operations = Object.entries(
        document.body.paths as Record<string, Record<string, unknown>>,
      ).flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`));
      const expected = [
        'POST /api/v1/registry/components',
        'GET /api/v1/registry/components',
        'GET /api/v1/registry/components/{componentId}',
        'POST /api/v1/registry/components/{componentId}/signing-keys',
        'GET /api/v1/registry/components/{componentId}/signing-keys',
        'POST /api/v1/registry/components/{componentId}/versions',
        'GET /api/v1/registry/components/{componentId}/versions',
        'GET /api/v1/registry/components/{componentId}/versions/{versionId}',
        'POST /api/v1/registry/components/{componentId}/versions/{versionId}/publish',
        'POST /api/v1/registry/components/{componentId}/versions/{versionId}/deprecate',
        'POST /api/v1/registry/components/{componentId}/versions/{versionId}/yank',
        'POST /api/v1/registry/components/{componentId}/upgrade-path/validate',
        'GET /api/v1/registry/components/{componentId}/versions/{versionId}/available-upgrades',
        'GET /api/v1/registry/components/{componentId}/versions/{versionId}/available-downgrades',
        'POST /api/v1/registry/tenants/{tenantId}/instances',
        'GET /api/v1/registry/tenants/{tenantId}/instances',
        'GET /api/v1/registry/tenants/{tenantId}/instances/out-of-support',
        'GET /api/v1/registry/tenants/{tenantId}/instances/{instanceId}',
        'PATCH /api/v1/registry/tenants/{tenantId}/instances',
        'PATCH /api/v1/registry/tenants/{tenantId}/instances/{instanceId}',
        'DELETE /api/v1/registry/tenants/{tenantId}/instances/{instanceId}',
        'GET /api/v1/registry/audit',
        'GET /health/live',
        'GET /health/ready',
      ];
      expect(new Set(operations)).toEqual(new Set(expected));
      const publish =
        document.body.paths['/api/v1/registry/components/{componentId}/versions/{versionId}/publish'];
      expect(Object.keys(publish.post.responses)).toEqual(
        expect.arrayContaining(['200', '400', '404', '409', '422']),
      );
      expect(publish.post.responses['422'].content).toHaveProperty(['application/problem+json']);
    });

    it('answers unknown routes with a 404 problem', async () => {
      const response = await ctx.http.get(`${API}/nothing-here`).expect(404);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.body).toMatchObject({ status: 404, instance: `${API}/nothing-here` });
    });

    it('logs requests as JSON with the authorization header redacted', async () => {
      const token = await testToken({ sub: 'redaction-check' });
      await ctx.http
        .get(`${API}/components`)
        .set('authorization', `Bearer ${token}`)
        .set('cookie', 'session=also-secret')
        .expect(200);
      const line = logLines.find(
        (entry) =>
          (entry['req'] as { url?: string } | undefined)?.url === `${API}/components` &&
          'responseTime' in entry,
      );
      expect(line).toBeDefined();
      const headers = (line?.['req'] as { headers: Record<string, string> }).headers;
      expect(headers['authorization']).toBe('[redacted]');
      expect(headers['cookie']).toBe('[redacted]');
      expect(JSON.stringify(logLines)).not.toContain(token);
      expect(JSON.stringify(logLines)).not.toContain('also-secret');
    });

    it('has a schema that is exactly what the entities describe (migrations only, no synchronize)', async () => {
      const dataSource = ctx.registry.app.get(DataSource);
      expect(dataSource.options.synchronize).toBe(false);
      const pending = await dataSource.driver.createSchemaBuilder().log();
      expect(pending.upQueries.map((query) => query.query)).toEqual([]);
      const { rows } = await ctx.pg.query<{ name: string }>(
        'SELECT name FROM registry.migrations ORDER BY id',
      );
      expect(rows.map((row) => row.name)).toEqual(REGISTRY_MIGRATIONS.map((migration) => migration.name));
    });
  });

  describe('start-up', () => {
    it('creates its database when it does not exist', async () => {
      const name = `upshift_registry_autocreate_${randomBytes(4).toString('hex')}`;
      const url = new URL(adminDatabaseUrl());
      url.pathname = `/${name}`;
      const registry = await createRegistryApp({ ...quiet, DATABASE_URL: url.toString() });
      try {
        await request(registry.url).get('/health/ready').expect(200);
        expect(registry.appliedMigrations).toHaveLength(REGISTRY_MIGRATIONS.length);
      } finally {
        await registry.close();
        const admin = new Client({ connectionString: adminDatabaseUrl() });
        await admin.connect();
        await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
        await admin.end();
      }
    });

    it('lets two replicas start on a fresh database at once: migrations run exactly once', async () => {
      const db = await createTestDatabase('registry_race');
      const [a, b] = await Promise.all([
        createRegistryApp({ ...quiet, DATABASE_URL: db.url }),
        createRegistryApp({ ...quiet, DATABASE_URL: db.url }),
      ]);
      try {
        const applied = [a.appliedMigrations, b.appliedMigrations].sort((x, y) => y.length - x.length);
        expect(applied).toEqual([REGISTRY_MIGRATIONS.map((migration) => migration.name), []]);
        const pg = new Client({ connectionString: db.url });
        await pg.connect();
        const { rows } = await pg.query('SELECT count(*)::int AS n FROM registry.migrations');
        await pg.end();
        expect(rows[0].n).toBe(REGISTRY_MIGRATIONS.length);
        await request(a.url).get('/health/ready').expect(200);
        await request(b.url).get('/health/ready').expect(200);
      } finally {
        await a.close();
        await b.close();
        await db.drop();
      }
    });

    it('refuses to start with invalid configuration, naming each variable', async () => {
      await expect(createRegistryApp({ PORT: 'eighty', DATABASE_URL: 'mysql://x/y' })).rejects.toThrow(
        InvalidConfigError,
      );
      await expect(createRegistryApp({ PORT: 'eighty', DATABASE_URL: 'mysql://x/y' })).rejects.toThrow(
        /PORT.*DATABASE_URL|DATABASE_URL.*PORT/,
      );
    });

    it('reports readiness down (503 problem) when PostgreSQL goes away, while liveness stays up', async () => {
      const ctx = await startRegistry('platform_down');
      // The test's own connection would be cut too; close it first and reopen it after.
      await ctx.pg.end();
      try {
        const admin = new Client({ connectionString: adminDatabaseUrl() });
        await admin.connect();
        await admin.query(
          'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
          [ctx.db.name],
        );
        await admin.query(`ALTER DATABASE "${ctx.db.name}" ALLOW_CONNECTIONS false`);
        try {
          const response = await ctx.http.get('/health/ready').expect(503);
          expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
          expect(response.body).toMatchObject({
            status: 503,
            detail: 'Not ready: postgres down.',
            checks: { postgres: { status: 'down' } },
          });
          await ctx.http.get('/health/live').expect(200);
        } finally {
          await admin.query(`ALTER DATABASE "${ctx.db.name}" ALLOW_CONNECTIONS true`);
          await admin.end();
        }
        await ctx.http.get('/health/ready').expect(200);
      } finally {
        ctx.pg = new Client({ connectionString: ctx.db.url });
        await ctx.pg.connect();
        await ctx.close();
      }
    });
  });
});
