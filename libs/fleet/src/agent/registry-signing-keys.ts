import type { KeyObject } from 'crypto';
import { keyFingerprint, parsePublicKeys } from './artifact-verifier';
import { fetchAllPages } from '../registry/registry-pages';

/**
 * The public keys the registry trusts for a component (`GET …/components/:id/signing-keys`, every
 * page), as SPKI PEM. A simulated agent trusts all of them (ADR 0073): every key that ever signed a
 * published version of the component stays registered, so versions signed by another checkout's seed
 * key, or before a key rotation, still verify.
 */
export async function fetchComponentSigningKeys(
  registryUrl: string,
  componentId: string,
  token: string,
): Promise<string[]> {
  // The largest page: a component rarely has more than a few keys, so this is one request.
  const url = `${registryUrl.replace(/\/$/, '')}/api/v1/registry/components/${encodeURIComponent(componentId)}/signing-keys?limit=500`;
  const keys = await fetchAllPages<{ publicKey?: unknown }>(
    url,
    token,
    `the signing keys of component ${componentId}`,
  );
  return keys.map((key, index) => {
    if (typeof key.publicKey !== 'string') {
      throw new Error(
        `signing key #${index} of component ${componentId} has no publicKey: ${JSON.stringify(key).slice(0, 200)}`,
      );
    }
    return key.publicKey;
  });
}

/** `current` plus the keys of `added` it does not hold yet (same fingerprint = same key). */
export function withKeys(current: readonly KeyObject[], added: readonly string[]): KeyObject[] {
  const known = new Set(current.map(keyFingerprint));
  const merged = [...current];
  for (const key of parsePublicKeys(added)) {
    const fingerprint = keyFingerprint(key);
    if (known.has(fingerprint)) continue;
    known.add(fingerprint);
    merged.push(key);
  }
  return merged;
}
