import * as semver from 'semver';

export interface ReleaseVersion {
  version: string;
  major: number;
  minor: number;
  patch: number;
  prerelease: string | null;
}

/**
 * Parses a version string as the registry stores it: strict semver, written in its normal form
 * (no leading "v", no spaces), without build metadata — two versions that differ only in build
 * metadata have the same precedence, so they could not be ordered (ADR 0034).
 * Returns the reason when the string is not acceptable.
 */
export function parseReleaseVersion(input: string): ReleaseVersion | { problem: string } {
  const parsed = semver.parse(input);
  if (parsed === null)
    return { problem: `"${input}" is not a semantic version (MAJOR.MINOR.PATCH, e.g. 2.1.0)` };
  if (parsed.build.length > 0) {
    return {
      problem: `"${input}" has build metadata (+${parsed.build.join('.')}); drop it, it does not order`,
    };
  }
  if (parsed.version !== input)
    return { problem: `"${input}" is not in normal form; write "${parsed.version}"` };
  const { major, minor, patch } = parsed;
  if ([major, minor, patch].some((part) => part > 2_147_483_647)) {
    return { problem: `"${input}" has a part larger than 2147483647` };
  }
  return {
    version: parsed.version,
    major,
    minor,
    patch,
    prerelease: parsed.prerelease.length > 0 ? parsed.prerelease.join('.') : null,
  };
}

export function compareReleaseVersions(a: { version: string }, b: { version: string }): number {
  return semver.compare(a.version, b.version);
}
