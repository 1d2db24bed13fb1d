import { createHash, createPublicKey, verify, type KeyObject } from 'crypto';
import type { AgentProblemCode } from '@upshift/contracts';

/** Fetches an artifact's bytes; throws `ArtifactUnavailableError` when it cannot (transient). */
export type ArtifactSource = (url: string) => Promise<Buffer>;

export class ArtifactUnavailableError extends Error {
  constructor(url: string, cause: unknown) {
    super(`artifact ${url} could not be fetched: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'ArtifactUnavailableError';
  }
}

/**
 * Downloads artifacts over HTTP(S), once per URL: a fleet of thousands of simulated instances
 * shares one copy, as instances behind a caching proxy would. A failed download is not cached.
 */
export function httpArtifactSource(timeoutMs = 10_000): ArtifactSource {
  const cache = new Map<string, Promise<Buffer>>();
  return (url) => {
    let pending = cache.get(url);
    if (!pending) {
      pending = (async () => {
        try {
          const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
          if (!response.ok) throw new Error(`HTTP ${response.status}`);
          return Buffer.from(await response.arrayBuffer());
        } catch (error) {
          cache.delete(url);
          throw new ArtifactUnavailableError(url, error);
        }
      })();
      cache.set(url, pending);
    }
    return pending;
  };
}

export type VerificationResult =
  | { ok: true; sha256: string; signedBy: string | null }
  | { ok: false; code: VerificationFailureCode; detail: string };

/** The problem codes an artifact that fails verification is refused with (docs/agent-protocol.md, "Errors"). */
export type VerificationFailureCode = Extract<
  AgentProblemCode,
  | typeof AgentProblemCode.DIGEST_MISMATCH
  | typeof AgentProblemCode.SIGNATURE_INVALID
  | typeof AgentProblemCode.UNTRUSTED_SIGNATURE
>;

/**
 * Parses trusted ed25519 public keys in the forms docs/signing.md allows: SPKI PEM, base64 of the SPKI
 * DER (44 bytes), or base64 of the 32 raw key bytes.
 */
export function parsePublicKeys(keys: readonly string[]): KeyObject[] {
  return keys.map((key) => {
    const text = key.trim();
    if (text.startsWith('-----BEGIN')) return createPublicKey(text);
    const decoded = Buffer.from(text, 'base64');
    if (decoded.length === 44) return createPublicKey({ key: decoded, format: 'der', type: 'spki' });
    const raw = decoded;
    if (raw.length !== 32)
      throw new Error('an ed25519 public key in base64 must decode to 32 (raw) or 44 (SPKI DER) bytes');
    // SPKI header for ed25519 (RFC 8410) followed by the raw key.
    const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), raw]);
    return createPublicKey({ key: spki, format: 'der', type: 'spki' });
  });
}

/**
 * Verifies the artifact before anything is applied (docs/agent-protocol.md, "Upgrade"): its SHA-256
 * must equal the digest the registry published, and, when the agent trusts keys, it must carry a valid
 * ed25519 signature (base64) by one of them over the message `signedMessage` builds
 * (docs/agent-protocol.md, "Signatures").
 * Without trusted keys an unsigned artifact passes and a signed one is refused as untrusted.
 */
export function verifyArtifact(
  artifact: Buffer,
  expectedSha256: string,
  signature: string | null,
  trustedKeys: readonly KeyObject[],
  signedMessage: (artifact: Buffer, sha256Hex: string) => Buffer = signedMessageOf,
): VerificationResult {
  const actual = createHash('sha256').update(artifact).digest('hex');
  if (actual !== expectedSha256.toLowerCase()) {
    return {
      ok: false,
      code: 'digest-mismatch',
      detail: `artifact SHA-256 is ${actual}, expected ${expectedSha256}`,
    };
  }
  if (signature === null || signature === '') {
    // An agent that trusts keys installs signed artifacts only: "unsigned" must not be a way around the
    // signature (ADR 0073). An agent without keys has nothing to check a signature against anyway.
    if (trustedKeys.length === 0) return { ok: true, sha256: actual, signedBy: null };
    return {
      ok: false,
      code: 'signature-invalid',
      detail: `the artifact is unsigned, and this agent trusts ${trustedKeys.length} signing key(s): it installs only artifacts signed by one of them (docs/signing.md)`,
    };
  }
  if (trustedKeys.length === 0) {
    return {
      ok: false,
      code: 'untrusted-signature',
      detail:
        'the artifact is signed but this agent trusts no signing key; configure its trusted public keys',
    };
  }
  const message = signedMessage(artifact, actual);
  const signatureBytes = Buffer.from(signature, 'base64');
  for (const key of trustedKeys) {
    if (verify(null, message, key, signatureBytes)) {
      return { ok: true, sha256: actual, signedBy: keyFingerprint(key) };
    }
  }
  return {
    ok: false,
    code: 'signature-invalid',
    detail: 'the signature does not verify against any trusted key',
  };
}

/**
 * The signed message (docs/signing.md): the 32 raw bytes of the artifact's SHA-256 digest. The digest
 * was just checked against the downloaded bytes, so the signature covers exactly what is installed.
 */
export function signedMessageOf(_artifact: Buffer, sha256Hex: string): Buffer {
  return Buffer.from(sha256Hex, 'hex');
}

/** Lower-case hex SHA-256 of the 32 raw key bytes: the registry's fingerprint of the same key. */
export function keyFingerprint(key: KeyObject): string {
  const der = key.export({ format: 'der', type: 'spki' });
  return createHash('sha256')
    .update(der.subarray(der.length - 32))
    .digest('hex');
}
