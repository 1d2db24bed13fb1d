import { createPublicKey, type KeyObject } from 'crypto';
import { parsePublicKeys, startFleet, verifyArtifact, type Fleet } from '../src';
import { keyFingerprint } from '../src/agent/artifact-verifier';
import { withKeys } from '../src/agent/registry-signing-keys';
import {
  memoryArtifactSource,
  newCommandId,
  signingKeyPair,
  testAgentKeys,
  testArtifact,
} from './fleet-fixtures';

const v2 = testArtifact('2.0.0');
const keys = signingKeyPair();
const signatureOf = (sha256: string, signer = keys) => signer.signBase64(Buffer.from(sha256, 'hex'));

// ADR 0073: an agent that trusts keys installs signed artifacts only; "unsigned" is no way around it.
describe('an agent that trusts signing keys', () => {
  let fleet: Fleet;

  beforeEach(async () => {
    fleet = await startFleet({
      agentKeys: testAgentKeys,
      instances: 1,
      initialVersion: '1.0.0',
      artifactSource: memoryArtifactSource([v2]),
      trustedPublicKeys: [keys.publicKeyBase64],
    });
  });

  afterEach(async () => {
    await fleet.stop();
  });

  const upgrade = (signature: string | null) =>
    fleet.agent('sim-0001').upgrade({
      commandId: newCommandId(),
      version: '2.0.0',
      artifactUrl: v2.url,
      sha256: v2.sha256,
      signature,
    });

  it('refuses an unsigned artifact with 422 signature-invalid and applies nothing', async () => {
    await fleet.agent('sim-0001').drain({ commandId: newCommandId() });
    const refused = await upgrade(null);
    expect(refused).toMatchObject({
      status: 422,
      body: { code: 'signature-invalid', transient: false, detail: expect.stringMatching(/unsigned/) },
    });
    expect(fleet.instance('sim-0001')).toMatchObject({
      version: '1.0.0',
      previousVersion: null,
      healthy: true,
      upgrading: false,
      counters: { upgradesApplied: 0 },
    });
    // The worker's rollback after the failed attempt leaves the instance where it was.
    const rolledBack = await fleet
      .agent('sim-0001')
      .rollback({ commandId: newCommandId(), toVersion: '1.0.0' });
    expect(rolledBack).toMatchObject({ status: 200, body: { version: '1.0.0', rolledBack: false } });
  });

  it('refuses an empty signature the same way', async () => {
    await fleet.agent('sim-0001').drain({ commandId: newCommandId() });
    expect(await upgrade('')).toMatchObject({ status: 422, body: { code: 'signature-invalid' } });
    expect(fleet.instance('sim-0001').version).toBe('1.0.0');
  });

  it('installs the same artifact once it is signed by a trusted key', async () => {
    await fleet.agent('sim-0001').drain({ commandId: newCommandId() });
    expect((await upgrade(null)).status).toBe(422);
    expect(await upgrade(signatureOf(v2.sha256))).toMatchObject({
      status: 200,
      body: { version: '2.0.0', previousVersion: '1.0.0', applied: true },
    });
    expect(fleet.instance('sim-0001').counters.upgradesApplied).toBe(1);
  });
});

/** The one key of a parsed list (a test helper, so that a missing key fails with a message). */
function only(list: readonly KeyObject[]): KeyObject {
  const [key] = list;
  if (key === undefined || list.length !== 1) throw new Error(`expected one key, got ${list.length}`);
  return key;
}

describe('artifact verification', () => {
  const trusted = parsePublicKeys([keys.publicKeyBase64]);

  it('passes an unsigned artifact only when no key is trusted', () => {
    expect(verifyArtifact(v2.bytes, v2.sha256, null, [])).toMatchObject({ ok: true, signedBy: null });
    expect(verifyArtifact(v2.bytes, v2.sha256, null, trusted)).toMatchObject({
      ok: false,
      code: 'signature-invalid',
    });
  });

  it('checks the digest first: tampered bytes are a digest mismatch even with a valid signature', () => {
    const tampered = Buffer.concat([v2.bytes, Buffer.from('#')]);
    expect(verifyArtifact(tampered, v2.sha256, signatureOf(v2.sha256), trusted)).toMatchObject({
      ok: false,
      code: 'digest-mismatch',
    });
  });

  it('names the key that verified the signature by its registry fingerprint', () => {
    const result = verifyArtifact(v2.bytes, v2.sha256, signatureOf(v2.sha256), trusted);
    expect(result).toEqual({ ok: true, sha256: v2.sha256, signedBy: keyFingerprint(only(trusted)) });
  });
});

describe('merging trusted keys', () => {
  it('adds new keys and skips one it already holds in another encoding', () => {
    const other = signingKeyPair();
    const current = parsePublicKeys([keys.publicKeyBase64]);
    const samePem = createPublicKey({
      key: Buffer.concat([
        Buffer.from('302a300506032b6570032100', 'hex'),
        Buffer.from(keys.publicKeyBase64, 'base64'),
      ]),
      format: 'der',
      type: 'spki',
    })
      .export({ format: 'pem', type: 'spki' })
      .toString();
    const merged = withKeys(current, [samePem, other.publicKeyBase64]);
    expect(merged.map(keyFingerprint)).toEqual([
      keyFingerprint(only(current)),
      keyFingerprint(only(parsePublicKeys([other.publicKeyBase64]))),
    ]);
  });
});
