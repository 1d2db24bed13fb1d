import { VersionStatus } from '@upshift/contracts/model';
import { major, parse, prerelease } from 'semver';

/**
 * Support window (ADR 0092): an instance more than one major behind the newest published release of its
 * component is out of support. "Published" follows the registry's version lifecycle (ADR 0032): published
 * and deprecated releases were released and are still installable; drafts were never released and yanked
 * ones were withdrawn, so neither moves the window. Pre-releases (`3.0.0-rc.1`) do not either: a release
 * candidate of the next major must not push a fleet out of support before that major ships.
 */
export const SUPPORTED_MAJORS_BEHIND = 1;

const RELEASED_STATUSES: readonly VersionStatus[] = [VersionStatus.PUBLISHED, VersionStatus.DEPRECATED];

export interface SupportCatalogEntry {
  version: string;
  status: VersionStatus;
}

export interface SupportStatus {
  outOfSupport: boolean;
  /** The newest released version the window is measured from; null when the component has none. */
  newestVersion: string | null;
  /** Majors between the instance's version and the newest released one (0 when level or ahead). */
  majorsBehind: number;
}

/** The newest released, non-pre-release version of the catalog, or null when there is none. */
export function newestReleasedVersion(versions: readonly SupportCatalogEntry[]): string | null {
  let newest: ReturnType<typeof parse> = null;
  for (const entry of versions) {
    if (!RELEASED_STATUSES.includes(entry.status)) continue;
    const parsed = parse(entry.version);
    if (parsed === null || prerelease(parsed) !== null) continue;
    if (newest === null || parsed.compare(newest) > 0) newest = parsed;
  }
  return newest === null ? null : newest.version;
}

/**
 * Whether an instance at `version` is in support, given its component's catalog. A version that is not
 * a semantic version, or a catalog with no released version, cannot be judged and counts as in support:
 * the flag is a warning to act on, so it is raised only when it is certain.
 */
export function supportStatus(version: string, versions: readonly SupportCatalogEntry[]): SupportStatus {
  const newestVersion = newestReleasedVersion(versions);
  const installed = parse(version);
  if (newestVersion === null || installed === null) {
    return { outOfSupport: false, newestVersion, majorsBehind: 0 };
  }
  const majorsBehind = Math.max(0, major(newestVersion) - installed.major);
  return { outOfSupport: majorsBehind > SUPPORTED_MAJORS_BEHIND, newestVersion, majorsBehind };
}
