import { createHash, createPublicKey, generateKeyPairSync, KeyObject, sign, verify } from 'crypto';

/**
 * What an artifact signature is (docs/signing.md, ADR 0031): an ed25519 signature over the 32 raw
 * bytes of the artifact's SHA-256 digest — the bytes that `artifact.sha256` spells in hex — encoded
 * in standard base64 (88 characters). Signing the digest rather than the artifact lets the registry
 * verify without downloading anything, and `openssl pkeyutl -sign -rawin` can produce it.
 */
export const SHA256_HEX_PATTERN = /^[0-9a-f]{64}$/;
export const SIGNATURE_BASE64_PATTERN = /^[A-Za-z0-9+/]{86}==$/;

/** DER prefix of an ed25519 SubjectPublicKeyInfo (RFC 8410): the 32 key bytes follow it. */
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export class InvalidPublicKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidPublicKeyError';
  }
}

export interface ParsedPublicKey {
  /** SubjectPublicKeyInfo PEM, the one form the registry stores. */
  pem: string;
  /** Lower-case hex SHA-256 of the 32 raw public-key bytes. */
  fingerprint: string;
}

/**
 * Accepts an ed25519 public key as SPKI PEM, as base64 of the SPKI DER (44 bytes), or as base64 of
 * the raw 32-byte key; anything else, and private keys in particular, is refused with the reason.
 */
export function parseEd25519PublicKey(input: string): ParsedPublicKey {
  const text = input.trim();
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) {
    throw new InvalidPublicKeyError(
      'this is a PRIVATE key; send only the public key (-----BEGIN PUBLIC KEY-----)',
    );
  }
  let key: KeyObject;
  try {
    if (text.startsWith('-----BEGIN PUBLIC KEY-----')) {
      key = createPublicKey({ key: text, format: 'pem' });
    } else if (/^[A-Za-z0-9+/]+={0,2}$/.test(text)) {
      const bytes = Buffer.from(text, 'base64');
      const der =
        bytes.length === 32
          ? Buffer.concat([ED25519_SPKI_PREFIX, bytes])
          : bytes.length === 44
            ? bytes
            : null;
      if (der === null) {
        throw new InvalidPublicKeyError(
          `base64 decodes to ${bytes.length} bytes; an ed25519 public key is 32 raw bytes or 44 bytes of SPKI DER`,
        );
      }
      key = createPublicKey({ key: der, format: 'der', type: 'spki' });
    } else {
      throw new InvalidPublicKeyError('expected a PEM public key (-----BEGIN PUBLIC KEY-----) or base64');
    }
  } catch (error) {
    if (error instanceof InvalidPublicKeyError) throw error;
    throw new InvalidPublicKeyError(`not a readable public key (${(error as Error).message})`);
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new InvalidPublicKeyError(
      `the key is ${key.asymmetricKeyType ?? 'of unknown type'}; only ed25519 is accepted`,
    );
  }
  const der = key.export({ format: 'der', type: 'spki' });
  const raw = der.subarray(ED25519_SPKI_PREFIX.length);
  return {
    pem: key.export({ format: 'pem', type: 'spki' }).toString(),
    fingerprint: createHash('sha256').update(raw).digest('hex'),
  };
}

/** The bytes that are signed: the digest itself, not its hex text. */
export function signedBytesOf(sha256Hex: string): Buffer {
  if (!SHA256_HEX_PATTERN.test(sha256Hex)) throw new Error('sha256 must be 64 lower-case hex characters');
  return Buffer.from(sha256Hex, 'hex');
}

/** Returns the first key under which `signatureBase64` verifies for the digest, or null. */
export function findVerifyingKey<Key extends { publicKeyPem: string }>(
  sha256Hex: string,
  signatureBase64: string | null,
  keys: readonly Key[],
): Key | null {
  if (signatureBase64 === null || !SIGNATURE_BASE64_PATTERN.test(signatureBase64)) return null;
  const message = signedBytesOf(sha256Hex);
  const signature = Buffer.from(signatureBase64, 'base64');
  for (const key of keys) {
    // ed25519 takes no digest algorithm: the algorithm argument must be null.
    if (verify(null, message, key.publicKeyPem, signature)) return key;
  }
  return null;
}

/** Signs a digest the way the registry verifies it (used by scripts/sign-artifact.ts and the seed). */
export function signArtifactDigest(sha256Hex: string, privateKeyPem: string): string {
  return sign(null, signedBytesOf(sha256Hex), privateKeyPem).toString('base64');
}

export interface SigningKeyPair {
  /** PKCS#8 PEM; keep it secret. */
  privateKeyPem: string;
  /** SPKI PEM; register it with POST /components/:componentId/signing-keys. */
  publicKeyPem: string;
}

export function generateSigningKeyPair(): SigningKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
  };
}
