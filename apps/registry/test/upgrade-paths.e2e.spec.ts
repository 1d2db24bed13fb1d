import { authHeader, TEST_JWT_SECRET } from '@upshift/testing';
import request from 'supertest';
import { createRegistryApp } from '../src/main';
import { API, RegistryTestContext, snapshotRegistryTables, startRegistry } from './support/registry-test-app';
import {
  createComponent,
  createVersion,
  ReleaseSpec,
  releaseVersion,
  VersionBody,
} from './support/catalog-builders';

interface Finding {
  code: string;
  message: string;
}
interface Validation {
  valid: boolean;
  path: { versionId: string; version: string }[];
  blockers: Finding[];
  warnings: Finding[];
}

/**
 * One catalog that exercises every rule of the path search through the HTTP API. The rules are
 * libs/domain's; these tests prove the registry feeds it the catalog and serves its answers.
 */
describe('registry upgrade paths (e2e)', () => {
  let ctx: RegistryTestContext;
  let componentId: string;
  const v: Record<string, VersionBody> = {};
  const kafkaOk = { kafka: '3.6.0', postgresql: '16.1' };

  beforeAll(async () => {
    ctx = await startRegistry('paths');
    componentId = await createComponent(ctx.http, 'gateway');
    const catalog: ReleaseSpec[] = [
      { version: '1.0.0', downgradeAllowed: false },
      { version: '1.2.0' },
      { version: '2.0.0', mandatory: true, requiresMigration: true },
      { version: '2.1.0', dependencies: { kafka: '>=3.5.0 <4.0.0' } },
      { version: '2.2.0', status: 'yanked' },
      { version: '2.3.0', status: 'draft' },
      { version: '2.4.0', status: 'deprecated' },
      { version: '3.0.0', breaking: true, dependencies: { kafka: '>=3.6.0', postgresql: '>=16.0.0' } },
      { version: '3.1.0-beta.1', channel: 'beta' },
      { version: '5.0.0' },
    ];
    for (const spec of catalog) v[spec.version] = await releaseVersion(ctx.http, componentId, spec);
  });

  afterAll(async () => {
    await ctx.close();
  });

  async function validate(
    from: string,
    to: string,
    extra: Record<string, unknown> = { installedComponents: kafkaOk },
  ): Promise<Validation> {
    const response = await ctx.http
      .post(`${API}/components/${componentId}/upgrade-path/validate`)
      .send({ fromVersionId: v[from]?.id, toVersionId: v[to]?.id, ...extra })
      .expect(200);
    expect(Object.keys(response.body).sort()).toEqual(['blockers', 'path', 'valid', 'warnings']);
    return response.body as Validation;
  }

  const codes = (findings: Finding[]) => findings.map((finding) => finding.code);
  const versions = (result: Validation) => result.path.map((step) => step.version);

  describe('validate', () => {
    it('allows a direct upgrade whose dependencies are installed', async () => {
      const result = await validate('2.0.0', '2.1.0');
      expect(result).toEqual({
        valid: true,
        path: [{ versionId: v['2.1.0']?.id, version: '2.1.0' }],
        blockers: [],
        warnings: [],
      });
    });

    it('accepts loose installed versions such as "16.1"', async () => {
      const result = await validate('2.4.0', '3.0.0', {
        installedComponents: { kafka: '3.6.0', postgresql: '16.1' },
      });
      expect(codes(result.blockers)).toEqual([]);
    });

    it('REQUIRES_INTERMEDIATE: 1.x → 3.x names 2.x and suggests a route through 2.x', async () => {
      const result = await validate('1.2.0', '3.0.0');
      expect(result.valid).toBe(false);
      const blocker = result.blockers.find((b) => b.code === 'REQUIRES_INTERMEDIATE');
      expect(blocker?.message).toContain('2.x');
      expect(versions(result)[0]).toBe('2.0.0');
      expect(versions(result).at(-1)).toBe('3.0.0');
      expect(
        versions(result)
          .slice(0, -1)
          .every((version) => version.startsWith('2.')),
      ).toBe(true);
    });

    it('MANDATORY_WAYPOINT: 1.2.0 → 2.1.0 must stop at 2.0.0', async () => {
      const result = await validate('1.2.0', '2.1.0');
      expect(result.valid).toBe(false);
      expect(codes(result.blockers)).toEqual(['MANDATORY_WAYPOINT']);
      expect(result.blockers[0]?.message).toContain('2.0.0');
      expect(versions(result)).toEqual(['2.0.0', '2.1.0']);
    });

    it('allows the mandatory waypoint itself, warning about its migration', async () => {
      const result = await validate('1.2.0', '2.0.0');
      expect(result.valid).toBe(true);
      expect(codes(result.warnings)).toContain('REQUIRES_MIGRATION');
    });

    it('TARGET_YANKED', async () => {
      const result = await validate('2.0.0', '2.2.0');
      expect(result.valid).toBe(false);
      expect(codes(result.blockers)).toContain('TARGET_YANKED');
    });

    it('TARGET_NOT_PUBLISHED for a draft', async () => {
      const result = await validate('2.0.0', '2.3.0');
      expect(codes(result.blockers)).toContain('TARGET_NOT_PUBLISHED');
    });

    it('allows a deprecated target with TARGET_DEPRECATED', async () => {
      const result = await validate('2.0.0', '2.4.0');
      expect(result.valid).toBe(true);
      expect(codes(result.warnings)).toContain('TARGET_DEPRECATED');
    });

    it('DEPENDENCY_UNSATISFIED when an installed component is out of range', async () => {
      const result = await validate('2.0.0', '2.1.0', { installedComponents: { kafka: '4.0.0' } });
      expect(result.valid).toBe(false);
      expect(codes(result.blockers)).toEqual(['DEPENDENCY_UNSATISFIED']);
      expect(result.blockers[0]?.message).toContain('kafka');
    });

    it('DEPENDENCY_MISSING when a dependency is not installed (or installedComponents is absent)', async () => {
      for (const extra of [{ installedComponents: {} }, {}, { installedComponents: null }]) {
        const result = await validate('2.0.0', '2.1.0', extra);
        expect(codes(result.blockers)).toEqual(['DEPENDENCY_MISSING']);
      }
    });

    it('DEPENDENCY_RANGE_INVALID for a range written before validation existed', async () => {
      const legacy = await releaseVersion(ctx.http, componentId, { version: '2.5.0' });
      v['2.5.0'] = legacy;
      await ctx.pg.query(
        `UPDATE registry.version SET dependencies = '{"kafka": "three-ish"}' WHERE id = $1`,
        [legacy.id],
      );
      const result = await validate('2.0.0', '2.5.0');
      expect(codes(result.blockers)).toEqual(['DEPENDENCY_RANGE_INVALID']);
      await ctx.pg.query(`UPDATE registry.version SET status = 'yanked' WHERE id = $1`, [legacy.id]);
    });

    it('SAME_VERSION', async () => {
      const result = await validate('2.1.0', '2.1.0');
      expect(result).toMatchObject({ valid: false, path: [] });
      expect(codes(result.blockers)).toEqual(['SAME_VERSION']);
    });

    it('NO_INTERMEDIATE_AVAILABLE when a major in between has no release', async () => {
      const result = await validate('3.0.0', '5.0.0');
      expect(codes(result.blockers)).toEqual(
        expect.arrayContaining(['REQUIRES_INTERMEDIATE', 'NO_INTERMEDIATE_AVAILABLE']),
      );
      expect(result.blockers.find((b) => b.code === 'REQUIRES_INTERMEDIATE')?.message).toContain('4.x');
    });

    it('DOWNGRADE_NOT_ALLOWED to a release that refuses downgrades, with the DOWNGRADE warning', async () => {
      const result = await validate('1.2.0', '1.0.0');
      expect(result.valid).toBe(false);
      expect(codes(result.blockers)).toEqual(['DOWNGRADE_NOT_ALLOWED']);
      expect(codes(result.warnings)).toContain('DOWNGRADE');
    });

    it('allows a permitted downgrade', async () => {
      const result = await validate('2.1.0', '2.0.0');
      expect(result.valid).toBe(true);
      expect(codes(result.warnings)).toContain('DOWNGRADE');
    });

    it("warns CHANNEL_MISMATCH when the target is outside the from version's channel, not when the caller says beta", async () => {
      const stable = await validate('3.0.0', '3.1.0-beta.1');
      expect(codes(stable.warnings)).toContain('CHANNEL_MISMATCH');
      const beta = await validate('3.0.0', '3.1.0-beta.1', { installedComponents: kafkaOk, channel: 'beta' });
      expect(codes(beta.warnings)).not.toContain('CHANNEL_MISMATCH');
    });

    it('warns BREAKING_CHANGES for a breaking target', async () => {
      const result = await validate('2.4.0', '3.0.0');
      expect(codes(result.warnings)).toContain('BREAKING_CHANGES');
    });

    it('answers 404 naming the version that is not in the component, and changes nothing', async () => {
      const other = await createComponent(ctx.http);
      const foreign = await createVersion(ctx.http, other, { version: '2.1.0' });
      const before = await snapshotRegistryTables(ctx.pg);
      const response = await ctx.http
        .post(`${API}/components/${componentId}/upgrade-path/validate`)
        .send({ fromVersionId: v['2.0.0']?.id, toVersionId: foreign.id })
        .expect(404);
      expect(response.body).toMatchObject({ resource: 'version', resourceId: foreign.id });
      expect(await snapshotRegistryTables(ctx.pg)).toEqual(before);
    });

    it('answers 404 for a missing component', async () => {
      const missing = '7b1a3c3e-4444-4444-8444-444444444444';
      const response = await ctx.http
        .post(`${API}/components/${missing}/upgrade-path/validate`)
        .send({ fromVersionId: v['2.0.0']?.id, toVersionId: v['2.1.0']?.id })
        .expect(404);
      expect(response.body).toMatchObject({ resource: 'component', resourceId: missing });
    });

    it('names every invalid field with 400', async () => {
      const response = await ctx.http
        .post(`${API}/components/${componentId}/upgrade-path/validate`)
        .send({ fromVersionId: '123', installedComponents: ['kafka'], channel: 'lts' })
        .expect(400);
      expect(new Set(response.body.errors.map((e: { field: string }) => e.field))).toEqual(
        new Set(['fromVersionId', 'toVersionId', 'installedComponents', 'channel']),
      );
    });

    it('never answers from a stale catalog, even when another replica changed it', async () => {
      const other = await createRegistryApp({
        PORT: 0,
        DATABASE_URL: ctx.db.url,
        KAFKA_BROKERS: '127.0.0.1:1',
        OUTBOX_RELAY_ENABLED: false,
        LOG_LEVEL: 'silent',
        AUTH_JWT_SECRET: TEST_JWT_SECRET,
      });
      try {
        const target = await releaseVersion(ctx.http, componentId, { version: '2.6.0' });
        v['2.6.0'] = target;
        expect((await validate('2.0.0', '2.6.0')).valid).toBe(true); // now cached by this replica
        await request(other.url)
          .post(`${API}/components/${componentId}/versions/${target.id}/yank`)
          .set(await authHeader())
          .expect(200);
        expect(codes((await validate('2.0.0', '2.6.0')).blockers)).toEqual(['TARGET_YANKED']);
      } finally {
        await other.close();
      }
    });

    it('reads upper-case UUIDs as the same ids', async () => {
      const response = await ctx.http
        .post(`${API}/components/${componentId.toUpperCase()}/upgrade-path/validate`)
        .send({
          fromVersionId: v['2.0.0']?.id.toUpperCase(),
          toVersionId: v['2.1.0']?.id.toUpperCase(),
          installedComponents: kafkaOk,
        })
        .expect(200);
      expect(response.body.valid).toBe(true);
    });
  });

  describe('available upgrades and downgrades', () => {
    interface Target {
      versionId: string;
      version: string;
      channel: string;
      status: string;
      directTarget: boolean;
      requiredIntermediate: string | null;
      reason: string | null;
    }

    async function targets(from: string, kind: 'upgrades' | 'downgrades', query = ''): Promise<Target[]> {
      const response = await ctx.http
        .get(`${API}/components/${componentId}/versions/${v[from]?.id}/available-${kind}${query}`)
        .expect(200);
      return response.body as Target[];
    }

    it('from 1.x in a catalog without waypoints: 3.0.0 is not direct and requires 2.x', async () => {
      const plain = await createComponent(ctx.http);
      const ids: Record<string, string> = {};
      for (const version of ['1.4.0', '2.0.0', '2.3.0', '3.0.0']) {
        ids[version] = (await releaseVersion(ctx.http, plain, { version })).id;
      }
      const response = await ctx.http
        .get(`${API}/components/${plain}/versions/${ids['1.4.0']}/available-upgrades?channel=stable`)
        .expect(200);
      expect(response.body).toEqual([
        {
          versionId: ids['3.0.0'],
          version: '3.0.0',
          channel: 'stable',
          status: 'published',
          directTarget: false,
          requiredIntermediate: '2.x',
          reason: 'requires upgrade to 2.x first',
        },
        expect.objectContaining({
          version: '2.3.0',
          directTarget: true,
          requiredIntermediate: null,
          reason: null,
        }),
        expect.objectContaining({
          version: '2.0.0',
          directTarget: true,
          requiredIntermediate: null,
          reason: null,
        }),
      ]);
    });

    it('from 1.x past a mandatory release: everything beyond it requires 2.0.0; yanked, draft and beta are absent', async () => {
      const list = await targets('1.2.0', 'upgrades', '?channel=stable');
      const byVersion = Object.fromEntries(list.map((target) => [target.version, target]));
      expect(byVersion['3.0.0']).toMatchObject({ directTarget: false, requiredIntermediate: '2.0.0' });
      expect(byVersion['2.0.0']).toMatchObject({
        directTarget: true,
        requiredIntermediate: null,
        reason: null,
      });
      expect(byVersion['2.1.0']).toMatchObject({ directTarget: false, requiredIntermediate: '2.0.0' });
      expect(byVersion['2.4.0']).toMatchObject({ status: 'deprecated' });
      for (const absent of ['2.2.0', '2.3.0', '3.1.0-beta.1', '1.0.0', '1.2.0'])
        expect(byVersion[absent]).toBeUndefined();
    });

    it("defaults to the version's channel, and a wider channel shows betas", async () => {
      const stable = await targets('3.0.0', 'upgrades');
      expect(stable.map((t) => t.version)).not.toContain('3.1.0-beta.1');
      const beta = await targets('3.0.0', 'upgrades', '?channel=beta');
      expect(beta.map((t) => t.version)).toContain('3.1.0-beta.1');
    });

    it('lists downgrades that allow it, each marked direct or not', async () => {
      const fromTwo = await targets('2.1.0', 'downgrades');
      expect(fromTwo.map((t) => t.version)).toEqual(expect.arrayContaining(['2.0.0', '1.2.0']));
      expect(fromTwo.map((t) => t.version)).not.toContain('1.0.0');
      const fromThree = await targets('3.0.0', 'downgrades');
      expect(fromThree.find((t) => t.version === '1.2.0')).toMatchObject({
        directTarget: false,
        requiredIntermediate: '2.x',
      });
    });

    it('answers 404 for a version of another component and 400 for a bad channel', async () => {
      const other = await createComponent(ctx.http);
      const foreign = await createVersion(ctx.http, other, { version: '1.0.0' });
      await ctx.http
        .get(`${API}/components/${componentId}/versions/${foreign.id}/available-upgrades`)
        .expect(404);
      await ctx.http
        .get(`${API}/components/${componentId}/versions/${foreign.id}/available-downgrades`)
        .expect(404);
      const response = await ctx.http
        .get(`${API}/components/${componentId}/versions/${v['1.2.0']?.id}/available-upgrades?channel=lts`)
        .expect(400);
      expect(response.body.errors).toEqual([{ field: 'channel', message: expect.any(String) }]);
    });
  });
});
