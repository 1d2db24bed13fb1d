import { fetchAllPages, fetchComponentSigningKeys } from '@upshift/fleet';
import { testToken } from '@upshift/testing';
import { API, startRegistry, type RegistryTestContext } from './support/registry-test-app';
import { createComponent } from './support/catalog-builders';

/** Against the real registry (Postgres): the fleet reads every page of a component's keys. */
describe('reading the registry page by page', () => {
  let ctx: RegistryTestContext;
  let componentId: string;
  let token: string;
  let pems: string[];

  beforeAll(async () => {
    ctx = await startRegistry('fleet_pages');
    token = await testToken();
    componentId = await createComponent(ctx.http);
    // 520 keys: more than the largest page. Listed by the registry oldest first.
    await ctx.pg.query(
      `INSERT INTO registry.signing_key (component_id, public_key_pem, fingerprint, created_at)
       SELECT $1, 'pem ' || i, lpad(to_hex(i), 64, '0'), timestamptz '2026-01-01 00:00:00Z' + i * interval '1 second'
         FROM generate_series(1, 520) AS i`,
      [componentId],
    );
    pems = Array.from({ length: 520 }, (_, i) => `pem ${i + 1}`);
  }, 60_000);

  afterAll(async () => {
    await ctx?.close();
  });

  it('fetchComponentSigningKeys returns every key of the component once, in the registry order', async () => {
    expect(await fetchComponentSigningKeys(ctx.registry.url, componentId, token)).toEqual(pems);
  });

  it('fetchAllPages follows rel="next" from any first page to the last', async () => {
    const url = `${ctx.registry.url}${API}/components/${componentId}/signing-keys?limit=7`;
    const keys = await fetchAllPages<{ publicKey: string }>(url, token, 'keys');
    expect(keys.map((k) => k.publicKey)).toEqual(pems);
  });

  it('names the list and the status when the registry refuses', async () => {
    const url = `${ctx.registry.url}${API}/components/${componentId}/signing-keys?limit=501`;
    await expect(fetchAllPages(url, token, 'the keys')).rejects.toThrow(
      /the registry did not list the keys \(GET .*limit=501 → 400\)/,
    );
  });
});
