import { API, RegistryTestContext, snapshotRegistryTables, startRegistry } from './support/registry-test-app';
import { uniqueName } from './support/catalog-builders';

describe('registry components (e2e)', () => {
  let ctx: RegistryTestContext;

  beforeAll(async () => {
    ctx = await startRegistry('components');
  });

  afterAll(async () => {
    await ctx.close();
  });

  it('creates a component and serves it by id and in the list', async () => {
    const name = uniqueName('gateway');
    const created = await ctx.http
      .post(`${API}/components`)
      .send({ name, kind: 'service', description: 'Edge gateway' })
      .expect(201)
      .expect('content-type', /application\/json/);
    expect(created.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      name,
      kind: 'service',
      description: 'Edge gateway',
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });

    const fetched = await ctx.http.get(`${API}/components/${created.body.id}`).expect(200);
    expect(fetched.body).toEqual(created.body);

    const list = await ctx.http.get(`${API}/components`).expect(200);
    expect(list.body).toContainEqual(created.body);
  });

  it('lists components ordered by name', async () => {
    for (const name of ['zz-last', 'aa-first', 'mm-middle']) {
      await ctx.http.post(`${API}/components`).send({ name, kind: 'service' }).expect(201);
    }
    const names = (await ctx.http.get(`${API}/components`).expect(200)).body.map(
      (c: { name: string }) => c.name,
    );
    expect(names).toEqual([...names].sort());
    expect(names).toEqual(expect.arrayContaining(['aa-first', 'mm-middle', 'zz-last']));
  });

  it('defaults the description to empty', async () => {
    const response = await ctx.http
      .post(`${API}/components`)
      .send({ name: uniqueName(), kind: 'database' })
      .expect(201);
    expect(response.body.description).toBe('');
  });

  it('refuses a duplicate name with 409, naming the existing component, and writes nothing', async () => {
    const name = uniqueName('dup');
    const first = await ctx.http.post(`${API}/components`).send({ name, kind: 'service' }).expect(201);
    const before = await snapshotRegistryTables(ctx.pg);

    const response = await ctx.http.post(`${API}/components`).send({ name, kind: 'database' }).expect(409);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({
      type: 'urn:upshift:problem:duplicate',
      status: 409,
      field: 'name',
      existingId: first.body.id,
      instance: `${API}/components`,
    });
    expect(response.body.detail).toContain(name);
    expect(await snapshotRegistryTables(ctx.pg)).toEqual(before);
  });

  it('refuses an invalid body with 400 listing every invalid field', async () => {
    const before = await snapshotRegistryTables(ctx.pg);
    const response = await ctx.http
      .post(`${API}/components`)
      .send({ name: 'Not A Slug!', kind: 42, description: 7, colour: 'blue' })
      .expect(400);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ type: 'urn:upshift:problem:validation-failed', status: 400 });
    const fields = response.body.errors.map((e: { field: string }) => e.field);
    expect(new Set(fields)).toEqual(new Set(['name', 'kind', 'description', 'colour']));
    for (const error of response.body.errors) expect(error.message).toEqual(expect.any(String));
    expect(await snapshotRegistryTables(ctx.pg)).toEqual(before);
  });

  it('refuses a missing body field by name', async () => {
    const response = await ctx.http.post(`${API}/components`).send({ kind: 'service' }).expect(400);
    expect(response.body.errors).toContainEqual({ field: 'name', message: expect.stringContaining('name') });
  });

  it('answers malformed JSON with a 400 problem', async () => {
    const response = await ctx.http
      .post(`${API}/components`)
      .set('content-type', 'application/json')
      .send('{"name": ')
      .expect(400);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body.detail).toMatch(/not valid JSON/);
  });

  it('answers a body over 256 KiB with a 413 problem, not a 500', async () => {
    const response = await ctx.http
      .post(`${API}/components`)
      .send({ name: uniqueName(), kind: 'service', description: 'x'.repeat(256 * 1024) })
      .expect(413);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body.detail).toMatch(/too large; send at most 256 KiB/);
    expect(response.headers['x-powered-by']).toBeUndefined();
  });

  it('refuses a JSON array body, naming the fields it lacks', async () => {
    const response = await ctx.http
      .post(`${API}/components`)
      .send([{ name: 'a', kind: 'b' }])
      .expect(400);
    expect(response.body.errors.map((e: { field: string }) => e.field)).toEqual(
      expect.arrayContaining(['name', 'kind']),
    );
  });

  it('names the parameter when the component id is not a UUID', async () => {
    const response = await ctx.http.get(`${API}/components/abc`).expect(400);
    expect(response.body.errors).toEqual([
      { field: 'componentId', message: expect.stringContaining('UUID') },
    ]);
  });

  it('names the missing component in a 404', async () => {
    const id = '6f1c1c4e-0000-4000-8000-000000000001';
    const response = await ctx.http.get(`${API}/components/${id}`).expect(404);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ status: 404, resource: 'component', resourceId: id });
    expect(response.body.detail).toContain(id);
  });
});
