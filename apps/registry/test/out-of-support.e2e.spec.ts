import request from 'supertest';
import { testToken } from '@upshift/testing';
import { createComponent, releaseVersion, type VersionBody } from './support/catalog-builders';
import { API, RegistryTestContext, startRegistry } from './support/registry-test-app';

/**
 * Out of support (ADR 0092): more than one major behind the newest published, non-pre-release version
 * of the component. Flagged on every inventory view and listed per tenant, paged like the inventory.
 */
describe('out-of-support instances (e2e)', () => {
  let ctx: RegistryTestContext;
  let componentId: string;
  let otherComponentId: string;
  const v: Record<string, VersionBody> = {};
  const tenant = 'tenant-oos';

  beforeAll(async () => {
    ctx = await startRegistry('out_of_support');
    componentId = await createComponent(ctx.http);
    otherComponentId = await createComponent(ctx.http);
    for (const version of ['1.0.0', '1.4.0', '2.0.0', '3.0.0']) {
      v[version] = await releaseVersion(ctx.http, componentId, { version });
    }
    // None of these moves the window: a draft, a yanked and a pre-release of later majors.
    await releaseVersion(ctx.http, componentId, { version: '4.0.0', status: 'yanked' });
    await releaseVersion(ctx.http, componentId, { version: '5.0.0', status: 'draft' });
    await releaseVersion(ctx.http, componentId, { version: '6.0.0-rc.1', channel: 'beta' });
    v['other 1.0.0'] = await releaseVersion(ctx.http, otherComponentId, { version: '1.0.0' });
  });

  afterAll(async () => {
    await ctx.close();
  });

  const register = async (name: string, version: VersionBody, component = componentId) =>
    (
      await ctx.http
        .post(`${API}/tenants/${tenant}/instances`)
        .send({ componentId: component, versionId: version.id, name, agentUrl: 'http://10.0.0.1:7070' })
        .expect(201)
    ).body as { id: string; outOfSupport: boolean };

  it('flags instances two or more majors behind the newest published version, on every inventory view', async () => {
    const old = await register('a-old', v['1.0.0'] as VersionBody);
    const older = await register('b-older', v['1.4.0'] as VersionBody);
    const current = await register('c-current', v['2.0.0'] as VersionBody);
    const newest = await register('d-newest', v['3.0.0'] as VersionBody);
    const other = await register('e-other', v['other 1.0.0'] as VersionBody, otherComponentId);
    expect([old, older, current, newest, other].map((i) => i.outOfSupport)).toEqual([
      true,
      true,
      false,
      false,
      false,
    ]);
    const fetched = await ctx.http.get(`${API}/tenants/${tenant}/instances/${old.id}`).expect(200);
    expect(fetched.body.outOfSupport).toBe(true);
    const listed = await ctx.http.get(`${API}/tenants/${tenant}/instances`).expect(200);
    expect(listed.body.map((i: { name: string; outOfSupport: boolean }) => [i.name, i.outOfSupport])).toEqual(
      [
        ['a-old', true],
        ['b-older', true],
        ['c-current', false],
        ['d-newest', false],
        ['e-other', false],
      ],
    );
  });

  it('lists the tenant’s out-of-support instances, paged with X-Total-Count and Link', async () => {
    const first = await ctx.http.get(`${API}/tenants/${tenant}/instances/out-of-support?limit=1`).expect(200);
    expect(first.headers['x-total-count']).toBe('2');
    expect(first.body.map((i: { name: string }) => i.name)).toEqual(['a-old']);
    expect(first.body[0].outOfSupport).toBe(true);
    const link = /<([^>]+)>; rel="next"/.exec(first.headers['link'] as string)?.[1];
    expect(link).toContain('offset=1');
    const second = await ctx.http.get(link as string).expect(200);
    expect(second.body.map((i: { name: string }) => i.name)).toEqual(['b-older']);
    expect(second.headers['link']).toBeUndefined();

    const ofOther = await ctx.http
      .get(`${API}/tenants/${tenant}/instances/out-of-support?componentId=${otherComponentId}`)
      .expect(200);
    expect(ofOther.body).toEqual([]);
    expect(ofOther.headers['x-total-count']).toBe('0');
    const noInstances = await ctx.http.get(`${API}/tenants/tenant-none/instances/out-of-support`).expect(200);
    expect(noInstances.body).toEqual([]);
  });

  it('a new major published moves the window; recording a newer version brings an instance back', async () => {
    const before = await ctx.http.get(`${API}/tenants/${tenant}/instances/out-of-support`).expect(200);
    expect(before.body.map((i: { name: string }) => i.name)).toEqual(['a-old', 'b-older']);
    await releaseVersion(ctx.http, componentId, { version: '4.1.0' });
    const after = await ctx.http.get(`${API}/tenants/${tenant}/instances/out-of-support`).expect(200);
    expect(after.body.map((i: { name: string }) => i.name)).toEqual(['a-old', 'b-older', 'c-current']);

    const old = (after.body as { id: string }[])[0] as { id: string };
    const moved = await ctx.http
      .patch(`${API}/tenants/${tenant}/instances/${old.id}`)
      .send({ versionId: v['3.0.0']?.id })
      .expect(200);
    expect(moved.body.outOfSupport).toBe(false);
    const last = await ctx.http.get(`${API}/tenants/${tenant}/instances/out-of-support`).expect(200);
    expect(last.body.map((i: { name: string }) => i.name)).toEqual(['b-older', 'c-current']);
  });

  it('follows the instance list’s auth rules: a viewer of the tenant may, another tenant may not', async () => {
    const url = `${API}/tenants/${tenant}/instances/out-of-support`;
    await request(ctx.registry.url).get(url).expect(401);
    const viewer = await testToken({ roles: ['viewer'], tenants: [tenant] });
    await request(ctx.registry.url).get(url).set('authorization', `Bearer ${viewer}`).expect(200);
    // Another tenant's data answers as the instance list does: as if it did not exist.
    const stranger = await testToken({ roles: ['operator'], tenants: ['tenant-b'] });
    const refused = await request(ctx.registry.url).get(url).set('authorization', `Bearer ${stranger}`);
    const listRefused = await request(ctx.registry.url)
      .get(`${API}/tenants/${tenant}/instances`)
      .set('authorization', `Bearer ${stranger}`);
    expect([refused.status, listRefused.status]).toEqual([404, 404]);
  });

  it('refuses a malformed componentId or limit with 400', async () => {
    await ctx.http.get(`${API}/tenants/${tenant}/instances/out-of-support?componentId=nope`).expect(400);
    await ctx.http.get(`${API}/tenants/${tenant}/instances/out-of-support?limit=0`).expect(400);
  });
});
