import { VersionStatus } from '@upshift/contracts';
import { findVerifyingKey } from '@upshift/signing';

/** What the seed would have created for one version, and what the registry actually holds. */
export interface SeededVersionCheck {
  version: string;
  expected: { url: string; sha256: string };
  found: {
    status: VersionStatus;
    artifact: { url: string; sha256: string; signature: string | null };
    signed: boolean;
    signingKeyId: string | null;
  };
}

/**
 * Why agents of this checkout's stack would refuse (or not find) versions the registry already held
 * (ADR 0073), one sentence each; empty when everything is consistent. A database seeded by another
 * checkout is fine as long as the artifact bytes are the same (they are derived from name and version)
 * and each signature verifies against a key still registered for the component: the fleet trusts every
 * registered key. Drafts and yanked versions are never upgrade targets and are not checked.
 */
export function seedInconsistencies(
  component: { name: string; signed: boolean },
  versions: readonly SeededVersionCheck[],
  registeredKeysPem: readonly string[],
): string[] {
  const keys = registeredKeysPem.map((publicKeyPem) => ({ publicKeyPem }));
  const problems: string[] = [];
  for (const { version, expected, found } of versions) {
    if (found.status === VersionStatus.DRAFT || found.status === VersionStatus.YANKED) continue;
    const name = `${component.name} ${version}`;
    if (found.artifact.sha256 !== expected.sha256) {
      problems.push(
        `${name}: the registry holds artifact digest ${found.artifact.sha256}, but the artifact the fleet serves has digest ${expected.sha256}; agents will answer digest-mismatch`,
      );
    }
    if (found.artifact.url !== expected.url) {
      problems.push(
        `${name}: the registry sends agents to ${found.artifact.url}, but this stack serves the artifact at ${expected.url} (the database was seeded with another fleet address); agents will not find it`,
      );
    }
    if (
      component.signed &&
      findVerifyingKey(found.artifact.sha256, found.artifact.signature, keys) === null
    ) {
      problems.push(
        `${name}: its artifact signature verifies against none of the ${keys.length} key(s) registered for ${component.name}; agents will answer signature-invalid`,
      );
    } else if (component.signed && (!found.signed || found.signingKeyId === null)) {
      problems.push(
        `${name}: the registry does not record it as signed by a registered key (published before ${component.name} had keys, or its key was removed); the orchestrator refuses it as an upgrade target`,
      );
    }
  }
  return problems;
}
