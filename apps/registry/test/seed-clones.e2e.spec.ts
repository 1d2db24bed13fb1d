import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { testToken } from '@upshift/testing';
import { findVerifyingKey, parseEd25519PublicKey } from '@upshift/signing';
import { seedRegistry, type SeedResult } from '@upshift/demo-catalog';
import { API, RegistryTestContext, startRegistry } from './support/registry-test-app';

/**
 * ADR 0073: `npm run up` from a second checkout (another `.data/`, so another seed key) against a
 * database the first one seeded. The versions keep the first key's signatures; the fleet trusts every
 * key registered for the component, so they still verify; what cannot work is reported.
 */
describe('seeding one database from two checkouts (e2e)', () => {
  let ctx: RegistryTestContext;
  let firstCheckout: string;
  let secondCheckout: string;
  let first: SeedResult;

  beforeAll(async () => {
    ctx = await startRegistry('seed_clones');
    firstCheckout = mkdtempSync(path.join(tmpdir(), 'seed-checkout-a-'));
    secondCheckout = mkdtempSync(path.join(tmpdir(), 'seed-checkout-b-'));
  });

  afterAll(async () => {
    await ctx.close();
    rmSync(firstCheckout, { recursive: true, force: true });
    rmSync(secondCheckout, { recursive: true, force: true });
  });

  async function seedFrom(
    checkout: string,
    options: { artifactBaseUrl?: string; log?: (line: string) => void } = {},
  ) {
    return seedRegistry({
      registryUrl: ctx.registry.url,
      token: await testToken(),
      keyFile: path.join(checkout, '.data', 'seed', 'artifact-signing.key'),
      ...options,
    });
  }

  async function gatewayVersion(seed: SeedResult, version: string) {
    const gateway = seed.components['upshift-gateway'];
    const id = gateway?.versions[version]?.id;
    const response = await ctx.http.get(`${API}/components/${gateway?.id}/versions/${id}`).expect(200);
    return response.body as { artifact: { sha256: string; signature: string | null }; signed: boolean };
  }

  it("registers the second checkout's key beside the first, reuses every version, and finds nothing inconsistent", async () => {
    first = await seedFrom(firstCheckout);
    expect(first.inconsistencies).toEqual([]);

    const lines: string[] = [];
    const second = await seedFrom(secondCheckout, { log: (line) => lines.push(line) });
    expect(second.publicKeyPem).not.toBe(first.publicKeyPem);
    expect(second.created).toEqual({ components: 0, versions: 0, transitions: 0 });
    expect(second.inconsistencies).toEqual([]);
    expect(lines).toContainEqual(
      expect.stringMatching(/^upshift-gateway: registered this checkout's signing key beside 1 other key/),
    );

    const gatewayId = second.components['upshift-gateway']?.id;
    const keys = (await ctx.http.get(`${API}/components/${gatewayId}/signing-keys`).expect(200)).body as {
      publicKey: string;
    }[];
    expect(keys.map((k) => parseEd25519PublicKey(k.publicKey).fingerprint).sort()).toEqual(
      [first.publicKeyPem, second.publicKeyPem].map((pem) => parseEd25519PublicKey(pem).fingerprint).sort(),
    );
    // The versions keep the first checkout's signatures: trusting the second checkout's key alone (what
    // the local stack did before ADR 0073) refuses them; trusting every registered key accepts them.
    const target = await gatewayVersion(second, '2.2.0');
    expect(target.signed).toBe(true);
    expect(
      findVerifyingKey(target.artifact.sha256, target.artifact.signature, [
        { publicKeyPem: second.publicKeyPem },
      ]),
    ).toBeNull();
    expect(
      findVerifyingKey(
        target.artifact.sha256,
        target.artifact.signature,
        keys.map((k) => ({ publicKeyPem: k.publicKey })),
      ),
    ).not.toBeNull();
  });

  it('reports versions that point agents at another artifact address', async () => {
    const moved = await seedFrom(secondCheckout, { artifactBaseUrl: 'http://127.0.0.1:9999/artifacts' });
    expect(moved.inconsistencies).toContainEqual(
      'upshift-gateway 2.1.0: the registry sends agents to https://artifacts.example.com/upshift-gateway/2.1.0/upshift-gateway-2.1.0.tar.gz, ' +
        'but this stack serves the artifact at http://127.0.0.1:9999/artifacts/upshift-gateway/2.1.0/upshift-gateway-2.1.0.tar.gz ' +
        '(the database was seeded with another fleet address); agents will not find it',
    );
    // Drafts and yanked versions are never targets: 2.2.1 (yanked) is not reported.
    expect(moved.inconsistencies.some((line) => line.startsWith('upshift-gateway 2.2.1'))).toBe(false);
  });

  it('reports signatures that no registered key verifies any more, once the first key is removed', async () => {
    // Revoking a key is an operator action in the database (docs/signing.md).
    await ctx.pg.query('DELETE FROM registry.signing_key WHERE fingerprint = $1', [
      parseEd25519PublicKey(first.publicKeyPem).fingerprint,
    ]);
    const after = await seedFrom(secondCheckout);
    const signatureProblems = after.inconsistencies.filter((line) => line.includes('signature-invalid'));
    expect(signatureProblems).toContainEqual(
      'upshift-gateway 2.2.0: its artifact signature verifies against none of the 1 key(s) registered for upshift-gateway; agents will answer signature-invalid',
    );
    expect(new Set(signatureProblems.map((line) => line.split(' ')[0]))).toEqual(
      new Set(['kafka', 'upshift-gateway']),
    );
  });
});
