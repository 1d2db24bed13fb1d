import { createHash, generateKeyPairSync } from 'crypto';
import {
  findVerifyingKey,
  generateSigningKeyPair,
  InvalidPublicKeyError,
  parseEd25519PublicKey,
  signArtifactDigest,
  signedBytesOf,
} from './artifact-signature';

const digest = createHash('sha256').update('gateway-2.1.0.tar.gz contents').digest('hex');

describe('artifact signatures', () => {
  const pair = generateSigningKeyPair();
  const key = { publicKeyPem: parseEd25519PublicKey(pair.publicKeyPem).pem };

  it('signs the 32 digest bytes, not the hex text', () => {
    expect(signedBytesOf(digest)).toEqual(Buffer.from(digest, 'hex'));
    expect(signedBytesOf(digest)).toHaveLength(32);
  });

  it('verifies a signature made over the digest with the matching key', () => {
    const signature = signArtifactDigest(digest, pair.privateKeyPem);
    expect(signature).toMatch(/^[A-Za-z0-9+/]{86}==$/);
    expect(findVerifyingKey(digest, signature, [key])).toBe(key);
  });

  it('is deterministic (ed25519), so re-signing gives the same signature', () => {
    expect(signArtifactDigest(digest, pair.privateKeyPem)).toBe(
      signArtifactDigest(digest, pair.privateKeyPem),
    );
  });

  it('finds the verifying key among several', () => {
    const other = { publicKeyPem: generateSigningKeyPair().publicKeyPem };
    const signature = signArtifactDigest(digest, pair.privateKeyPem);
    expect(findVerifyingKey(digest, signature, [other, key])).toBe(key);
  });

  it('rejects another digest, another key, a missing or malformed signature', () => {
    const signature = signArtifactDigest(digest, pair.privateKeyPem);
    const otherDigest = createHash('sha256').update('tampered').digest('hex');
    expect(findVerifyingKey(otherDigest, signature, [key])).toBeNull();
    expect(
      findVerifyingKey(digest, signature, [{ publicKeyPem: generateSigningKeyPair().publicKeyPem }]),
    ).toBeNull();
    expect(findVerifyingKey(digest, null, [key])).toBeNull();
    expect(findVerifyingKey(digest, 'not-base64', [key])).toBeNull();
    // A signature over the hex text instead of the bytes is a classic mistake; it must not verify.
    const overHex = signArtifactDigest(createHash('sha256').update(digest).digest('hex'), pair.privateKeyPem);
    expect(findVerifyingKey(digest, overHex, [key])).toBeNull();
  });

  describe('public key formats', () => {
    const pem = pair.publicKeyPem;
    const der = Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    const raw = der.subarray(12);

    it.each([
      ['PEM', pem],
      ['base64 SPKI DER', der.toString('base64')],
      ['base64 raw key', raw.toString('base64')],
      ['PEM with surrounding whitespace', `\n  ${pem}  \n`],
    ])('accepts %s and normalises to the same PEM and fingerprint', (_label, input) => {
      const parsed = parseEd25519PublicKey(input);
      expect(parsed.pem).toBe(pem);
      expect(parsed.fingerprint).toBe(createHash('sha256').update(raw).digest('hex'));
    });

    it('refuses a private key, naming the mistake', () => {
      expect(() => parseEd25519PublicKey(pair.privateKeyPem)).toThrow(/PRIVATE key/);
    });

    it('refuses keys of another algorithm', () => {
      const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({
        format: 'pem',
        type: 'spki',
      });
      expect(() => parseEd25519PublicKey(rsa.toString())).toThrow(/rsa; only ed25519/);
    });

    it.each([
      ['garbage', 'hello world'],
      ['base64 of the wrong length', Buffer.alloc(31).toString('base64')],
      ['a broken PEM', '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----'],
    ])('refuses %s', (_label, input) => {
      expect(() => parseEd25519PublicKey(input)).toThrow(InvalidPublicKeyError);
    });
  });
});
