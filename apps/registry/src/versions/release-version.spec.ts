import { compareReleaseVersions, parseReleaseVersion } from './release-version';

describe('release versions', () => {
  it.each([
    ['1.2.3', { version: '1.2.3', major: 1, minor: 2, patch: 3, prerelease: null }],
    ['3.0.0-beta.1', { version: '3.0.0-beta.1', major: 3, minor: 0, patch: 0, prerelease: 'beta.1' }],
    ['0.0.1-rc.1.2', { version: '0.0.1-rc.1.2', major: 0, minor: 0, patch: 1, prerelease: 'rc.1.2' }],
  ])('parses %s', (input, expected) => {
    expect(parseReleaseVersion(input)).toEqual(expected);
  });

  it.each([
    ['1.2', /not a semantic version/],
    ['v1.2.3', /not in normal form; write "1.2.3"/],
    ['1.2.3+build.7', /build metadata/],
    ['01.2.3', /not a semantic version/],
    ['latest', /not a semantic version/],
  ])('refuses %s with the reason', (input, reason) => {
    const result = parseReleaseVersion(input);
    expect('problem' in result && result.problem).toMatch(reason);
  });

  it('orders by semver precedence, prereleases before their release', () => {
    const sorted = ['1.10.0', '1.2.0', '2.0.0', '2.0.0-beta.10', '2.0.0-beta.2', '2.0.0-alpha']
      .map((version) => ({ version }))
      .sort(compareReleaseVersions)
      .map((v) => v.version);
    expect(sorted).toEqual(['1.2.0', '1.10.0', '2.0.0-alpha', '2.0.0-beta.2', '2.0.0-beta.10', '2.0.0']);
  });
});
