import { generateSigningKeyPair, signArtifactDigest } from '@upshift/signing';
import {
  API,
  outboxEvents,
  RegistryTestContext,
  snapshotRegistryTables,
  startRegistry,
} from './support/registry-test-app';
import { createComponent, createVersion, digestOf, versionRequest } from './support/catalog-builders';

describe('registry signing keys and signed publishing (e2e)', () => {
  let ctx: RegistryTestContext;
  const trusted = generateSigningKeyPair();
  const stranger = generateSigningKeyPair();

  beforeAll(async () => {
    ctx = await startRegistry('signing');
  });

  afterAll(async () => {
    await ctx.close();
  });

  async function componentWithKey(): Promise<string> {
    const componentId = await createComponent(ctx.http);
    await ctx.http
      .post(`${API}/components/${componentId}/signing-keys`)
      .send({ publicKey: trusted.publicKeyPem })
      .expect(201);
    return componentId;
  }

  describe('keys', () => {
    it('registers a PEM key and lists it with its fingerprint', async () => {
      const componentId = await createComponent(ctx.http);
      const response = await ctx.http
        .post(`${API}/components/${componentId}/signing-keys`)
        .send({ publicKey: trusted.publicKeyPem })
        .expect(201);
      expect(response.body).toEqual({
        id: expect.any(String),
        componentId,
        fingerprint: expect.stringMatching(/^[0-9a-f]{64}$/),
        publicKey: trusted.publicKeyPem,
        createdAt: expect.any(String),
      });
      const list = await ctx.http.get(`${API}/components/${componentId}/signing-keys`).expect(200);
      expect(list.body).toEqual([response.body]);
    });

    it('accepts the raw 32-byte key in base64 and stores it as the same PEM', async () => {
      const componentId = await createComponent(ctx.http);
      const der = Buffer.from(stranger.publicKeyPem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
      const response = await ctx.http
        .post(`${API}/components/${componentId}/signing-keys`)
        .send({ publicKey: der.subarray(12).toString('base64') })
        .expect(201);
      expect(response.body.publicKey).toBe(stranger.publicKeyPem);
    });

    it('refuses the same key twice for a component with 409, and writes nothing', async () => {
      const componentId = await componentWithKey();
      const before = await snapshotRegistryTables(ctx.pg);
      const response = await ctx.http
        .post(`${API}/components/${componentId}/signing-keys`)
        .send({ publicKey: trusted.publicKeyPem })
        .expect(409);
      expect(response.body).toMatchObject({
        resource: 'signing key',
        field: 'publicKey',
        existingId: expect.any(String),
      });
      expect(await snapshotRegistryTables(ctx.pg)).toEqual(before);
    });

    it.each([
      ['a private key', () => trusted.privateKeyPem, /PRIVATE key/],
      ['garbage', () => 'this is not a key, it is a sentence of forty chars', /PEM public key|base64/],
      ['a key of the wrong size', () => Buffer.alloc(40, 1).toString('base64'), /40 bytes/],
    ])('refuses %s with 400 naming publicKey', async (_label, key, reason) => {
      const componentId = await createComponent(ctx.http);
      const before = await snapshotRegistryTables(ctx.pg);
      const response = await ctx.http
        .post(`${API}/components/${componentId}/signing-keys`)
        .send({ publicKey: key() })
        .expect(400);
      expect(response.body.errors).toEqual([{ field: 'publicKey', message: expect.stringMatching(reason) }]);
      expect(await snapshotRegistryTables(ctx.pg)).toEqual(before);
    });

    it('answers 404 for the keys of a missing component', async () => {
      const missing = '2b1a3c3e-3333-4333-8333-333333333333';
      const response = await ctx.http
        .post(`${API}/components/${missing}/signing-keys`)
        .send({ publicKey: trusted.publicKeyPem })
        .expect(404);
      expect(response.body.resourceId).toBe(missing);
      await ctx.http.get(`${API}/components/${missing}/signing-keys`).expect(404);
    });
  });

  describe('publishing', () => {
    it('publishes unsigned versions of a component without keys, with signed: false', async () => {
      const componentId = await createComponent(ctx.http);
      const withSignature = await createVersion(ctx.http, componentId, {
        version: '1.0.0',
        signWith: stranger.privateKeyPem,
      });
      const without = await createVersion(ctx.http, componentId, { version: '1.0.1' });
      for (const version of [withSignature, without]) {
        const response = await ctx.http
          .post(`${API}/components/${componentId}/versions/${version.id}/publish`)
          .expect(200);
        expect(response.body).toMatchObject({ status: 'published', signed: false, signingKeyId: null });
      }
    });

    it('publishes a version signed by a trusted key, with signed: true and the key named', async () => {
      const componentId = await componentWithKey();
      const keys = await ctx.http.get(`${API}/components/${componentId}/signing-keys`).expect(200);
      const version = await createVersion(ctx.http, componentId, {
        version: '2.0.0',
        signWith: trusted.privateKeyPem,
      });
      const response = await ctx.http
        .post(`${API}/components/${componentId}/versions/${version.id}/publish`)
        .expect(200);
      expect(response.body).toMatchObject({
        status: 'published',
        signed: true,
        signingKeyId: keys.body[0].id,
      });
      const event = (await outboxEvents(ctx.pg)).find((e) => e.data['versionId'] === version.id);
      expect(event?.data).toMatchObject({ kind: 'VersionPublished', signed: true });
    });

    it.each([
      ['signed by an untrusted key', { signWith: stranger.privateKeyPem }],
      ['without a signature', { signature: null }],
      [
        'signed over another digest',
        { signature: signArtifactDigest(digestOf('a different artifact'), trusted.privateKeyPem) },
      ],
    ])('refuses a version %s with 422, leaving it draft and writing nothing', async (_label, signing) => {
      const componentId = await componentWithKey();
      const version = await createVersion(ctx.http, componentId, { version: '3.0.0', ...signing });
      const before = await snapshotRegistryTables(ctx.pg);
      const response = await ctx.http
        .post(`${API}/components/${componentId}/versions/${version.id}/publish`)
        .expect(422);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.body).toMatchObject({
        type: 'urn:upshift:problem:signature-rejected',
        status: 422,
        keyFingerprints: [expect.stringMatching(/^[0-9a-f]{64}$/)],
      });
      expect(response.body.detail).toMatch(/stays draft/);
      expect(await snapshotRegistryTables(ctx.pg)).toEqual(before);
      const after = await ctx.http.get(`${API}/components/${componentId}/versions/${version.id}`).expect(200);
      expect(after.body).toMatchObject({ status: 'draft', signed: false, publishedAt: null });
    });

    it('publishes a refused draft once it is given a good signature at publish time', async () => {
      const componentId = await componentWithKey();
      const version = await createVersion(ctx.http, componentId, {
        version: '4.0.0',
        signWith: stranger.privateKeyPem,
      });
      const url = `${API}/components/${componentId}/versions/${version.id}/publish`;
      await ctx.http.post(url).expect(422);
      const good = signArtifactDigest(
        (version['artifact'] as { sha256: string }).sha256,
        trusted.privateKeyPem,
      );
      const response = await ctx.http.post(url).send({ signature: good }).expect(200);
      expect(response.body).toMatchObject({
        status: 'published',
        signed: true,
        artifact: { signature: good },
      });
    });

    it('does not let a replacement signature through when it is wrong: 422 and the old signature kept', async () => {
      const componentId = await componentWithKey();
      const version = await createVersion(ctx.http, componentId, {
        version: '4.1.0',
        signWith: stranger.privateKeyPem,
      });
      const bad = signArtifactDigest(digestOf('nope'), stranger.privateKeyPem);
      await ctx.http
        .post(`${API}/components/${componentId}/versions/${version.id}/publish`)
        .send({ signature: bad })
        .expect(422);
      const after = await ctx.http.get(`${API}/components/${componentId}/versions/${version.id}`).expect(200);
      expect(after.body.artifact.signature).toBe((version['artifact'] as { signature: string }).signature);
    });

    it('accepts any one of several keys (key rotation)', async () => {
      const componentId = await componentWithKey();
      await ctx.http
        .post(`${API}/components/${componentId}/signing-keys`)
        .send({ publicKey: stranger.publicKeyPem })
        .expect(201);
      const byNewKey = await createVersion(ctx.http, componentId, {
        version: '5.0.0',
        signWith: stranger.privateKeyPem,
      });
      await ctx.http.post(`${API}/components/${componentId}/versions/${byNewKey.id}/publish`).expect(200);
    });

    it('does not accept a key trusted by another component', async () => {
      const componentId = await createComponent(ctx.http);
      await ctx.http
        .post(`${API}/components/${componentId}/signing-keys`)
        .send({ publicKey: stranger.publicKeyPem })
        .expect(201);
      await componentWithKey(); // another component trusts `trusted`
      const version = await createVersion(ctx.http, componentId, {
        version: '1.0.0',
        signWith: trusted.privateKeyPem,
      });
      await ctx.http.post(`${API}/components/${componentId}/versions/${version.id}/publish`).expect(422);
    });

    // ADR 0073: with a key, there is no way to get an unsigned version published.
    describe('an unsigned version of a component with keys', () => {
      it('is refused at publish with 422 signature-rejected, saying what to do, and stays draft', async () => {
        const componentId = await componentWithKey();
        const version = await createVersion(ctx.http, componentId, { version: '7.0.0' });
        expect(version).toMatchObject({ signed: false, signatureRequired: true });
        const before = await snapshotRegistryTables(ctx.pg);
        const response = await ctx.http
          .post(`${API}/components/${componentId}/versions/${version.id}/publish`)
          .send({})
          .expect(422);
        expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(response.body.type).toBe('urn:upshift:problem:signature-rejected');
        expect(response.body.detail).toMatch(/has no artifact signature/);
        expect(response.body.detail).toMatch(/docs\/signing\.md/);
        expect(response.body.detail).toContain('publish again with {"signature": "<base64>"}');
        expect(await snapshotRegistryTables(ctx.pg)).toEqual(before);
      });

      it('cannot be created already published: a status in the create body is refused with 400', async () => {
        const componentId = await componentWithKey();
        const before = await snapshotRegistryTables(ctx.pg);
        const response = await ctx.http
          .post(`${API}/components/${componentId}/versions`)
          .send({ ...versionRequest({ version: '7.1.0' }), status: 'published' })
          .expect(400);
        expect(response.body.type).toBe('urn:upshift:problem:validation-failed');
        expect(response.body.errors).toEqual([{ field: 'status', message: expect.any(String) }]);
        expect(await snapshotRegistryTables(ctx.pg)).toEqual(before);
      });

      it('published before the first key, keeps signed: false and is now marked signatureRequired', async () => {
        const componentId = await createComponent(ctx.http);
        const version = await createVersion(ctx.http, componentId, { version: '1.0.0' });
        const published = await ctx.http
          .post(`${API}/components/${componentId}/versions/${version.id}/publish`)
          .expect(200);
        expect(published.body).toMatchObject({ signed: false, signatureRequired: false });
        await ctx.http
          .post(`${API}/components/${componentId}/signing-keys`)
          .send({ publicKey: trusted.publicKeyPem })
          .expect(201);
        const after = await ctx.http
          .get(`${API}/components/${componentId}/versions/${version.id}`)
          .expect(200);
        expect(after.body).toMatchObject({ status: 'published', signed: false, signatureRequired: true });
        const list = await ctx.http.get(`${API}/components/${componentId}/versions`).expect(200);
        expect(list.body).toEqual([after.body]);
      });
    });

    it('refuses a malformed replacement signature with 400 naming it', async () => {
      const componentId = await componentWithKey();
      const version = await createVersion(ctx.http, componentId, { version: '6.0.0' });
      const response = await ctx.http
        .post(`${API}/components/${componentId}/versions/${version.id}/publish`)
        .send({ signature: 'abc' })
        .expect(400);
      expect(response.body.errors).toEqual([
        { field: 'signature', message: expect.stringContaining('base64') },
      ]);
    });
  });
});
