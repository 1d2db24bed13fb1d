import { existsSync, mkdtempSync, rmSync, statSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { DEMO_CATALOG, seedRegistry } from '@upshift/demo-catalog';
import { testToken } from '@upshift/testing';
import { API, RegistryTestContext, startRegistry } from './support/registry-test-app';

describe('registry seed (e2e)', () => {
  let ctx: RegistryTestContext;
  let keyDir: string;

  beforeAll(async () => {
    ctx = await startRegistry('seed');
    keyDir = mkdtempSync(path.join(tmpdir(), 'registry-seed-'));
  });

  afterAll(async () => {
    await ctx.close();
    rmSync(keyDir, { recursive: true, force: true });
  });

  it('loads the demo catalog through the API, then finds everything in place on a second run', async () => {
    const keyFile = path.join(keyDir, 'seed.key');
    const first = await seedRegistry({ registryUrl: ctx.registry.url, token: await testToken(), keyFile });
    const versionCount = DEMO_CATALOG.reduce((n, component) => n + component.versions.length, 0);
    expect(first.created.components).toBe(3);
    expect(first.created.versions).toBe(versionCount);
    expect(versionCount).toBeGreaterThanOrEqual(12);
    expect(existsSync(keyFile)).toBe(true);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);

    const second = await seedRegistry({ registryUrl: ctx.registry.url, token: await testToken(), keyFile });
    expect(second.created).toEqual({ components: 0, versions: 0, transitions: 0 });
    expect(second.components).toEqual(first.components);
  });

  it('serves a catalog with three majors, a mandatory waypoint, dependency ranges, a yanked version and a beta', async () => {
    const seeded = await seedRegistry({
      token: await testToken(),
      registryUrl: ctx.registry.url,
      keyFile: path.join(keyDir, 'seed.key'),
    });
    const gateway = seeded.components['upshift-gateway'];
    if (!gateway) throw new Error('upshift-gateway was not seeded');
    const list = await ctx.http.get(`${API}/components/${gateway.id}/versions`).expect(200);
    const versions = list.body as {
      version: string;
      status: string;
      channel: string;
      mandatory: boolean;
      signed: boolean;
      dependencies: Record<string, string>;
    }[];
    expect(new Set(versions.map((v) => v.version.split('.')[0]))).toEqual(new Set(['1', '2', '3']));
    expect(versions.filter((v) => v.mandatory).map((v) => v.version)).toEqual(['2.0.0']);
    expect(versions.filter((v) => v.status === 'yanked').map((v) => v.version)).toEqual(['2.2.1']);
    expect(versions.filter((v) => v.channel === 'beta').map((v) => v.version)).toEqual(['3.2.0-beta.1']);
    expect(versions.some((v) => 'kafka' in v.dependencies && 'postgresql' in v.dependencies)).toBe(true);
    expect(versions.filter((v) => v.status !== 'draft').every((v) => v.signed)).toBe(true);

    const postgres = seeded.components['postgresql'];
    expect(Object.values(postgres?.versions ?? {}).every((v) => !v.signed)).toBe(true);

    // The major-hop rule's headline case (ADR 0004): from 1.x, 3.0.0 is not a direct target.
    const from = gateway.versions['1.2.0']?.id;
    const upgrades = await ctx.http
      .get(`${API}/components/${gateway.id}/versions/${from}/available-upgrades?channel=stable`)
      .expect(200);
    const three = (upgrades.body as { version: string; directTarget: boolean }[]).find(
      (t) => t.version === '3.0.0',
    );
    expect(three?.directTarget).toBe(false);

    const validation = await ctx.http
      .post(`${API}/components/${gateway.id}/upgrade-path/validate`)
      .send({
        fromVersionId: gateway.versions['2.1.0']?.id,
        toVersionId: gateway.versions['3.1.1']?.id,
        installedComponents: { kafka: '3.6.0', postgresql: '16.1' },
      })
      .expect(200);
    expect(validation.body).toMatchObject({ valid: true, blockers: [] });
  });

  it('fails with the registry named when it is not reachable', async () => {
    await expect(
      seedRegistry({
        registryUrl: 'http://127.0.0.1:1',
        token: await testToken(),
        keyFile: path.join(keyDir, 'other.key'),
      }),
    ).rejects.toThrow(/not reachable at http:\/\/127\.0\.0\.1:1/);
  });
});
