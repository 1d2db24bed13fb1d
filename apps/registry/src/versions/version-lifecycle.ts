import { VersionStatus, type VersionAction } from '@upshift/contracts';

/**
 * Statuses only move forward: draft → published → deprecated → yanked, and a published version can
 * be yanked at once without first being deprecated (an emergency should take one call; ADR 0032).
 */
export const VERSION_LIFECYCLE: ReadonlyMap<
  VersionStatus,
  readonly { action: VersionAction; to: VersionStatus }[]
> = new Map([
  [VersionStatus.DRAFT, [{ action: 'publish', to: VersionStatus.PUBLISHED }]],
  [
    VersionStatus.PUBLISHED,
    [
      { action: 'deprecate', to: VersionStatus.DEPRECATED },
      { action: 'yank', to: VersionStatus.YANKED },
    ],
  ],
  [VersionStatus.DEPRECATED, [{ action: 'yank', to: VersionStatus.YANKED }]],
  [VersionStatus.YANKED, []],
]);

export type VersionTransition =
  | { ok: true; to: VersionStatus }
  | { ok: false; from: VersionStatus; action: VersionAction; allowedActions: VersionAction[] };

export function allowedVersionActions(status: VersionStatus): VersionAction[] {
  return (VERSION_LIFECYCLE.get(status) ?? []).map((edge) => edge.action);
}

export function transitionVersion(from: VersionStatus, action: VersionAction): VersionTransition {
  const edge = (VERSION_LIFECYCLE.get(from) ?? []).find((candidate) => candidate.action === action);
  if (edge === undefined) return { ok: false, from, action, allowedActions: allowedVersionActions(from) };
  return { ok: true, to: edge.to };
}
