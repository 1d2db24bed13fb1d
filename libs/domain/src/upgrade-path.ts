import { VersionChannel, VersionStatus } from '@upshift/contracts/model';
import { coerce, compare, eq, gt, lt, major, parse, rcompare, satisfies, valid, validRange } from 'semver';
import type { SemVer } from 'semver';
import { channelSees } from './channels';

/**
 * Upgrade-path search over a component's catalog (ADR 0004). Rules:
 *
 * - Only published and deprecated releases are targets or waypoints; draft and yanked never are.
 *   Deprecated ones are allowed with a warning.
 * - Major-hop rule: a direct target is at most one major away. Further out, the answer names the next
 *   major ("requires upgrade to 2.x first") and the suggested path goes through the highest published
 *   release of every intermediate major.
 * - A mandatory release strictly between source and target must be passed through on the way up.
 * - Downgrades only to releases with `downgradeAllowed`, under the same one-major rule.
 * - Each stop's dependency ranges are checked against the installed components.
 * - Channels nest: stable ⊂ beta ⊂ dev. Waypoints come from the caller's channel (the target's when
 *   none is given).
 */

export interface CatalogVersion {
  id: string;
  version: string;
  channel: VersionChannel;
  status: VersionStatus;
  mandatory: boolean;
  downgradeAllowed: boolean;
  /** Other installed component name → semver range it needs, e.g. `{ kafka: '>=3.5.0 <4' }`. */
  dependencies: Record<string, string>;
  breaking?: boolean;
  requiresMigration?: boolean;
}

/** A catalog version, or its id to look up in `versions`. */
export type VersionRef = CatalogVersion | string;

export type PathBlockerCode =
  | 'VERSION_NOT_FOUND'
  | 'INVALID_VERSION'
  | 'SAME_VERSION'
  | 'TARGET_NOT_PUBLISHED'
  | 'TARGET_YANKED'
  | 'REQUIRES_INTERMEDIATE'
  | 'MANDATORY_WAYPOINT'
  | 'NO_INTERMEDIATE_AVAILABLE'
  | 'DOWNGRADE_NOT_ALLOWED'
  | 'DEPENDENCY_UNSATISFIED'
  | 'DEPENDENCY_MISSING'
  | 'DEPENDENCY_RANGE_INVALID';

export type PathWarningCode =
  | 'TARGET_DEPRECATED'
  | 'WAYPOINT_DEPRECATED'
  | 'CHANNEL_MISMATCH'
  | 'DOWNGRADE'
  | 'BREAKING_CHANGES'
  | 'REQUIRES_MIGRATION'
  | 'SOURCE_YANKED';

/** Every blocker code with what it means; the registry documents its answers from this. */
export const PATH_BLOCKER_CODES: Readonly<Record<PathBlockerCode, string>> = {
  VERSION_NOT_FOUND: 'the source or target id is not a version of this component',
  INVALID_VERSION: 'the source or target is not a semantic version',
  SAME_VERSION: 'source and target are the same version',
  TARGET_NOT_PUBLISHED: 'the target is a draft',
  TARGET_YANKED: 'the target was yanked',
  REQUIRES_INTERMEDIATE: 'the target is more than one major away; the message names the next major',
  MANDATORY_WAYPOINT: 'a mandatory release lies between source and target',
  NO_INTERMEDIATE_AVAILABLE: 'an intermediate major has no release to pass through',
  DOWNGRADE_NOT_ALLOWED: 'the target (or a downgrade waypoint) does not allow downgrades to it',
  DEPENDENCY_UNSATISFIED: 'an installed component is outside a stop’s dependency range',
  DEPENDENCY_MISSING: 'a stop depends on a component that is not installed',
  DEPENDENCY_RANGE_INVALID: 'a stop declares a dependency range that is not a semver range',
};

export const PATH_WARNING_CODES: Readonly<Record<PathWarningCode, string>> = {
  TARGET_DEPRECATED: 'the target is deprecated',
  WAYPOINT_DEPRECATED:
    'the route passes through a deprecated release (a mandatory one, or the only one of its major)',
  CHANNEL_MISMATCH: 'the target is on a channel the caller’s channel does not see',
  DOWNGRADE: 'the target is older than the source',
  BREAKING_CHANGES: 'a stop declares breaking changes',
  REQUIRES_MIGRATION: 'a stop requires a data migration',
  SOURCE_YANKED: 'the installed version was yanked',
};

export interface PathIssue<Code extends string> {
  code: Code;
  message: string;
}

export interface PathHop {
  versionId: string;
  version: string;
}

export interface UpgradePathResult {
  /** True when there is no blocker: the target can be applied directly. */
  valid: boolean;
  /** The stops after the source, ending with the target; a suggested route when blocked by the path shape. */
  path: PathHop[];
  blockers: PathIssue<PathBlockerCode>[];
  warnings: PathIssue<PathWarningCode>[];
}

export interface FindUpgradePathInput {
  from: VersionRef;
  to: VersionRef;
  /** The component's catalog. Entries that are not semantic versions are ignored. */
  versions: readonly CatalogVersion[];
  /** Installed component name → version. Versions like "16.1" are read as 16.1.0. */
  installedComponents?: Readonly<Record<string, string>>;
  /** The caller's channel; defaults to the target's. */
  channel?: VersionChannel;
}

export interface AvailableTarget {
  versionId: string;
  version: string;
  channel: VersionChannel;
  status: VersionStatus;
  /** Whether it can be applied from the source in one execution. */
  directTarget: boolean;
  /** When not direct, the first stop required, e.g. "requires upgrade to 2.x first". */
  requiredIntermediate: string | null;
}

export class VersionNotFoundError extends Error {
  override readonly name = 'VersionNotFoundError';

  constructor(readonly versionId: string) {
    super(
      `Version ${versionId} is not in this component's catalog; list the component's versions for valid ids.`,
    );
  }
}

/**
 * Each distinct version string parsed once per process: a search reads every release of the catalog
 * several times (targetable? which major? between source and target?), and semver parses a string
 * operand anew on every call. A parsed version is immutable, so sharing it changes no answer; the map is
 * emptied when it grows past a bound, so a registry with changing catalogs does not keep every string.
 */
const PARSED_VERSIONS = new Map<string, SemVer | null>();
const PARSED_VERSIONS_MAX = 100_000;

/** The parsed version, or null when the string is not a semantic version. */
function parsedVersion(version: string): SemVer | null {
  let parsed = PARSED_VERSIONS.get(version);
  if (parsed === undefined) {
    parsed = parse(version);
    if (PARSED_VERSIONS.size >= PARSED_VERSIONS_MAX) PARSED_VERSIONS.clear();
    PARSED_VERSIONS.set(version, parsed);
  }
  return parsed;
}

/** An operand for semver's functions: the parsed version, or the string itself (which then fails as before). */
function semverOf(version: string): SemVer | string {
  return parsedVersion(version) ?? version;
}

const TARGETABLE_STATUSES: readonly VersionStatus[] = [VersionStatus.PUBLISHED, VersionStatus.DEPRECATED];

function isTargetable(version: CatalogVersion): boolean {
  return TARGETABLE_STATUSES.includes(version.status) && parsedVersion(version.version) !== null;
}

function hop(version: CatalogVersion): PathHop {
  return { versionId: version.id, version: version.version };
}

function lookUp(ref: VersionRef, versions: readonly CatalogVersion[]): CatalogVersion | undefined {
  return typeof ref === 'string' ? versions.find((candidate) => candidate.id === ref) : ref;
}

/** Published before deprecated, then the highest version: the release to pass through a major on. */
function bestWaypoint(candidates: readonly CatalogVersion[]): CatalogVersion | undefined {
  const published = candidates.filter((candidate) => candidate.status === VersionStatus.PUBLISHED);
  const pool = published.length > 0 ? published : candidates;
  // One pass, not a sort: semver parses its operands on every comparison.
  return pool.reduce<CatalogVersion | undefined>(
    (best, candidate) =>
      best === undefined || gt(semverOf(candidate.version), semverOf(best.version)) ? candidate : best,
    undefined,
  );
}

/**
 * The catalog's possible waypoints grouped by major, read once per search: a route over many majors
 * would otherwise re-parse the whole catalog for each of them.
 */
function waypointsByMajor(
  versions: readonly CatalogVersion[],
  accept: (candidate: CatalogVersion) => boolean,
): Map<number, CatalogVersion[]> {
  const byMajor = new Map<number, CatalogVersion[]>();
  for (const candidate of versions) {
    if (!accept(candidate)) continue;
    const m = major(semverOf(candidate.version));
    const list = byMajor.get(m);
    if (list) list.push(candidate);
    else byMajor.set(m, [candidate]);
  }
  return byMajor;
}

function mandatoryBetween(
  from: CatalogVersion,
  to: CatalogVersion,
  versions: readonly CatalogVersion[],
  channel: VersionChannel,
): CatalogVersion[] {
  return versions
    .filter(
      (candidate) =>
        candidate.mandatory &&
        isTargetable(candidate) &&
        channelSees(channel, candidate.channel) &&
        gt(semverOf(candidate.version), semverOf(from.version)) &&
        lt(semverOf(candidate.version), semverOf(to.version)),
    )
    .sort((a, b) => compare(semverOf(a.version), semverOf(b.version)));
}

interface Route {
  /** Stops after the source, ending with the target. */
  stops: CatalogVersion[];
  mandatory: CatalogVersion[];
  /** Intermediate majors without any release to pass through. */
  missingMajors: number[];
}

function upgradeRoute(
  from: CatalogVersion,
  to: CatalogVersion,
  versions: readonly CatalogVersion[],
  channel: VersionChannel,
): Route {
  const mandatory = mandatoryBetween(from, to, versions, channel);
  const stops = [...mandatory];
  const missingMajors: number[] = [];
  const byMajor = waypointsByMajor(
    versions,
    (candidate) => isTargetable(candidate) && channelSees(channel, candidate.channel),
  );
  for (let m = major(semverOf(from.version)) + 1; m < major(semverOf(to.version)); m++) {
    const waypoint = bestWaypoint(byMajor.get(m) ?? []);
    if (!waypoint) {
      missingMajors.push(m);
    } else if (
      !mandatory.some(
        (required) =>
          major(semverOf(required.version)) === m &&
          gt(semverOf(required.version), semverOf(waypoint.version)),
      )
    ) {
      // A mandatory release above the usual waypoint already is this major's last stop.
      stops.push(waypoint);
    }
  }
  const unique = stops.filter((stop, index) => stops.findIndex((other) => other.id === stop.id) === index);
  unique.sort((a, b) => compare(semverOf(a.version), semverOf(b.version)));
  return { stops: [...unique, to], mandatory, missingMajors };
}

function downgradeRoute(
  from: CatalogVersion,
  to: CatalogVersion,
  versions: readonly CatalogVersion[],
  channel: VersionChannel,
): Route {
  const stops: CatalogVersion[] = [];
  const missingMajors: number[] = [];
  const byMajor = waypointsByMajor(
    versions,
    (candidate) =>
      isTargetable(candidate) && candidate.downgradeAllowed && channelSees(channel, candidate.channel),
  );
  for (let m = major(semverOf(from.version)) - 1; m > major(semverOf(to.version)); m--) {
    const waypoint = bestWaypoint(byMajor.get(m) ?? []);
    if (waypoint) {
      stops.push(waypoint);
    } else {
      missingMajors.push(m);
    }
  }
  return { stops: [...stops, to], mandatory: [], missingMajors };
}

/** Why `to` is not a direct target from `from`, or null when it is. */
function firstRequiredStop(
  from: CatalogVersion,
  to: CatalogVersion,
  versions: readonly CatalogVersion[],
  channel: VersionChannel,
): string | null {
  const fromMajor = major(semverOf(from.version));
  const toMajor = major(semverOf(to.version));
  if (gt(semverOf(to.version), semverOf(from.version))) {
    const [firstMandatory] = mandatoryBetween(from, to, versions, channel);
    if (firstMandatory && major(semverOf(firstMandatory.version)) <= fromMajor + 1) {
      return `requires upgrade to ${firstMandatory.version} first (mandatory release)`;
    }
    return toMajor - fromMajor > 1 ? `requires upgrade to ${fromMajor + 1}.x first` : null;
  }
  return fromMajor - toMajor > 1 ? `requires downgrade to ${fromMajor - 1}.x first` : null;
}

function installedVersion(raw: string): string | null {
  return valid(raw) ?? coerce(raw)?.version ?? null;
}

function dependencyBlockers(
  stop: CatalogVersion,
  installed: Readonly<Record<string, string>>,
): PathIssue<PathBlockerCode>[] {
  const blockers: PathIssue<PathBlockerCode>[] = [];
  for (const [name, range] of Object.entries(stop.dependencies)) {
    if (validRange(range) === null) {
      blockers.push({
        code: 'DEPENDENCY_RANGE_INVALID',
        message: `${stop.version} declares ${name} "${range}", which is not a semver range; fix the release's dependencies.`,
      });
      continue;
    }
    if (!Object.hasOwn(installed, name)) {
      blockers.push({
        code: 'DEPENDENCY_MISSING',
        message: `${stop.version} requires ${name} ${range}, but ${name} is not installed; install ${name} first.`,
      });
      continue;
    }
    const raw = installed[name] ?? '';
    const version = installedVersion(raw);
    if (version === null || !satisfies(version, range)) {
      blockers.push({
        code: 'DEPENDENCY_UNSATISFIED',
        message: `${stop.version} requires ${name} ${range}, but ${name} ${raw} is installed; upgrade ${name} to a version in ${range} first.`,
      });
    }
  }
  return blockers;
}

function resolveEnds(
  input: FindUpgradePathInput,
): { from: CatalogVersion; to: CatalogVersion } | PathIssue<PathBlockerCode>[] {
  const blockers: PathIssue<PathBlockerCode>[] = [];
  const ends: Partial<Record<'from' | 'to', CatalogVersion>> = {};
  for (const role of ['from', 'to'] as const) {
    const ref = input[role];
    const version = lookUp(ref, input.versions);
    if (!version) {
      blockers.push({
        code: 'VERSION_NOT_FOUND',
        message: `${role === 'from' ? 'Source' : 'Target'} version ${String(ref)} is not a version of this component.`,
      });
    } else if (parsedVersion(version.version) === null) {
      blockers.push({
        code: 'INVALID_VERSION',
        message: `${role === 'from' ? 'Source' : 'Target'} "${version.version}" is not a semantic version.`,
      });
    } else {
      ends[role] = version;
    }
  }
  return ends.from && ends.to && blockers.length === 0 ? { from: ends.from, to: ends.to } : blockers;
}

export function findUpgradePath(input: FindUpgradePathInput): UpgradePathResult {
  const ends = resolveEnds(input);
  if (Array.isArray(ends)) {
    return { valid: false, path: [], blockers: ends, warnings: [] };
  }
  const { from, to } = ends;
  const blockers: PathIssue<PathBlockerCode>[] = [];
  const warnings: PathIssue<PathWarningCode>[] = [];

  if (from.id === to.id || eq(semverOf(from.version), semverOf(to.version))) {
    return {
      valid: false,
      path: [],
      blockers: [
        { code: 'SAME_VERSION', message: `${to.version} is already the source version; nothing to do.` },
      ],
      warnings: [],
    };
  }

  if (from.status === VersionStatus.YANKED) {
    warnings.push({
      code: 'SOURCE_YANKED',
      message: `The installed ${from.version} was yanked; move off it soon.`,
    });
  }
  if (to.status === VersionStatus.DRAFT) {
    blockers.push({
      code: 'TARGET_NOT_PUBLISHED',
      message: `${to.version} is a draft; publish it before upgrading to it.`,
    });
  } else if (to.status === VersionStatus.YANKED) {
    blockers.push({
      code: 'TARGET_YANKED',
      message: `${to.version} was yanked and can no longer be installed; pick another release.`,
    });
  } else if (to.status === VersionStatus.DEPRECATED) {
    warnings.push({
      code: 'TARGET_DEPRECATED',
      message: `${to.version} is deprecated; prefer a newer release.`,
    });
  }

  const channel = input.channel ?? to.channel;
  if (!channelSees(channel, to.channel)) {
    warnings.push({
      code: 'CHANNEL_MISMATCH',
      message: `${to.version} is on the ${to.channel} channel, which the ${channel} channel does not see.`,
    });
  }

  const upgrading = gt(semverOf(to.version), semverOf(from.version));
  const route = upgrading
    ? upgradeRoute(from, to, input.versions, channel)
    : downgradeRoute(from, to, input.versions, channel);
  const gap = Math.abs(major(semverOf(to.version)) - major(semverOf(from.version)));

  if (gap > 1) {
    const next = upgrading ? major(semverOf(from.version)) + 1 : major(semverOf(from.version)) - 1;
    const [firstWaypoint] = route.stops;
    const suggestion =
      route.stops.length > 1 && firstWaypoint ? ` (suggested route starts at ${firstWaypoint.version})` : '';
    blockers.push({
      code: 'REQUIRES_INTERMEDIATE',
      message: `${to.version} is ${gap} majors ${upgrading ? 'ahead of' : 'behind'} ${from.version}: requires ${upgrading ? 'upgrade' : 'downgrade'} to ${next}.x first${suggestion}.`,
    });
  }
  for (const m of route.missingMajors) {
    blockers.push({
      code: 'NO_INTERMEDIATE_AVAILABLE',
      message: `No ${m}.x release on the ${channel} channel can be passed through on the way to ${to.version}.`,
    });
  }
  for (const required of route.mandatory) {
    blockers.push({
      code: 'MANDATORY_WAYPOINT',
      message: `${required.version} is a mandatory release: requires upgrade to ${required.version} first.`,
    });
  }

  if (!upgrading) {
    warnings.push({
      code: 'DOWNGRADE',
      message: `${to.version} is older than ${from.version}: this is a downgrade.`,
    });
    if (!to.downgradeAllowed) {
      blockers.push({
        code: 'DOWNGRADE_NOT_ALLOWED',
        message: `${to.version} does not allow downgrades to it; pick a release that does.`,
      });
    }
  }

  const installed = input.installedComponents ?? {};
  for (const stop of route.stops) {
    blockers.push(...dependencyBlockers(stop, installed));
    if (stop !== to && stop.status === VersionStatus.DEPRECATED) {
      warnings.push({
        code: 'WAYPOINT_DEPRECATED',
        message: `The route passes through ${stop.version}, which is deprecated.`,
      });
    }
    if (stop.breaking) {
      warnings.push({
        code: 'BREAKING_CHANGES',
        message: `${stop.version} declares breaking changes; read its release notes.`,
      });
    }
    if (stop.requiresMigration) {
      warnings.push({
        code: 'REQUIRES_MIGRATION',
        message: `${stop.version} requires a data migration; take a backup first.`,
      });
    }
  }

  return { valid: blockers.length === 0, path: route.stops.map(hop), blockers, warnings };
}

function requireVersion(ref: VersionRef, versions: readonly CatalogVersion[]): CatalogVersion {
  const version = lookUp(ref, versions);
  if (!version || parsedVersion(version.version) === null) {
    throw new VersionNotFoundError(typeof ref === 'string' ? ref : ref.id);
  }
  return version;
}

function toAvailable(
  source: CatalogVersion,
  target: CatalogVersion,
  versions: readonly CatalogVersion[],
  channel: VersionChannel,
): AvailableTarget {
  const requiredIntermediate = firstRequiredStop(source, target, versions, channel);
  return {
    versionId: target.id,
    version: target.version,
    channel: target.channel,
    status: target.status,
    directTarget: requiredIntermediate === null,
    requiredIntermediate,
  };
}

/**
 * Newer published or deprecated releases visible on `channel`, newest first, each marked with whether
 * it is a direct target.
 */
export function availableUpgrades(
  from: VersionRef,
  versions: readonly CatalogVersion[],
  channel: VersionChannel,
): AvailableTarget[] {
  const source = requireVersion(from, versions);
  return versions
    .filter(
      (candidate) =>
        isTargetable(candidate) &&
        channelSees(channel, candidate.channel) &&
        gt(semverOf(candidate.version), semverOf(source.version)),
    )
    .sort((a, b) => rcompare(semverOf(a.version), semverOf(b.version)))
    .map((target) => toAvailable(source, target, versions, channel));
}

/**
 * Older releases that allow downgrades to them, newest first. All channels unless one is given: a
 * rollback target is usually a release the instance already ran.
 */
export function availableDowngrades(
  from: VersionRef,
  versions: readonly CatalogVersion[],
  channel: VersionChannel = VersionChannel.DEV,
): AvailableTarget[] {
  const source = requireVersion(from, versions);
  return versions
    .filter(
      (candidate) =>
        isTargetable(candidate) &&
        candidate.downgradeAllowed &&
        channelSees(channel, candidate.channel) &&
        lt(semverOf(candidate.version), semverOf(source.version)),
    )
    .sort((a, b) => rcompare(semverOf(a.version), semverOf(b.version)))
    .map((target) => toAvailable(source, target, versions, channel));
}
