import { HttpStatus } from '@nestjs/common';
import { ProblemException } from '@upshift/http';

export interface InstanceShortfall {
  tenantId: string;
  /** The component's name (its id when the registry does not know it). */
  componentName: string;
  fromVersion: string;
  requestedInstances: number;
  /** Instances of the component on `fromVersion`: fewer than requested. */
  availableInstances: number;
  /** The version of every instance the tenant has of the component, whatever it is. */
  versionsOfAll: readonly string[];
}

/** "20 are on 2.2.2, 1 is on 2.0.0": most instances first, then by version. */
export function describeVersions(versions: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const version of versions) counts.set(version, (counts.get(version) ?? 0) + 1);
  return [...counts.entries()]
    .sort(([a, countA], [b, countB]) => countB - countA || a.localeCompare(b))
    .map(([version, count]) => `${count} ${count === 1 ? 'is' : 'are'} on ${version}`)
    .join(', ');
}

/**
 * The 422 for a request that asks for more instances on `fromVersion` than the tenant has. It says
 * where the instances are instead: the usual cause is the same request sent again after an earlier
 * run upgraded them, and "ask for at most 0" would not tell the client that.
 */
export function tooFewInstances(shortfall: InstanceShortfall): ProblemException {
  const { tenantId, componentName, fromVersion, requestedInstances, availableInstances } = shortfall;
  const elsewhere = shortfall.versionsOfAll.filter((version) => version !== fromVersion);
  const total = shortfall.versionsOfAll.length;
  let detail: string;
  if (total === 0) {
    detail =
      `totalInstances is ${requestedInstances} but tenant ${tenantId} has no instance of ${componentName} ` +
      `in the registry's inventory; register its instances first.`;
  } else if (availableInstances === 0) {
    detail =
      `totalInstances is ${requestedInstances} but none of tenant ${tenantId}'s ${total} instance(s) of ` +
      `${componentName} is on ${fromVersion} any more: ${describeVersions(elsewhere)}. ` +
      `An earlier upgrade may have moved them; upgrade from the version they are on.`;
  } else {
    detail =
      `totalInstances is ${requestedInstances} but tenant ${tenantId} has only ${availableInstances} ` +
      `instance(s) of ${componentName} on ${fromVersion}; ask for at most ${availableInstances}.` +
      (elsewhere.length > 0 ? ` Its other instances are elsewhere: ${describeVersions(elsewhere)}.` : '');
  }
  return new ProblemException(HttpStatus.UNPROCESSABLE_ENTITY, 'Unprocessable Entity', detail, {
    availableInstances,
    requestedInstances,
  });
}
