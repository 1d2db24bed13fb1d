import { VersionStatus } from '@upshift/contracts/model';
import { newestReleasedVersion, supportStatus } from './support-status';
import type { SupportCatalogEntry } from './support-status';

const { PUBLISHED, DEPRECATED, YANKED, DRAFT } = VersionStatus;

const entry = (version: string, status: VersionStatus = PUBLISHED): SupportCatalogEntry => ({
  version,
  status,
});

describe('supportStatus', () => {
  it.each<[string, string, SupportCatalogEntry[], { outOfSupport: boolean; newest: string | null }]>([
    ['level with the newest', '3.1.0', [entry('3.1.0')], { outOfSupport: false, newest: '3.1.0' }],
    ['one major behind', '2.0.0', [entry('2.0.0'), entry('3.4.0')], { outOfSupport: false, newest: '3.4.0' }],
    ['two majors behind', '1.9.9', [entry('1.9.9'), entry('3.0.0')], { outOfSupport: true, newest: '3.0.0' }],
    ['far behind', '0.1.0', [entry('0.1.0'), entry('7.2.0')], { outOfSupport: true, newest: '7.2.0' }],
    ['ahead of every release', '5.0.0', [entry('3.0.0')], { outOfSupport: false, newest: '3.0.0' }],
    [
      'a yanked newest major does not count',
      '1.0.0',
      [entry('1.0.0'), entry('2.0.0'), entry('3.0.0', YANKED)],
      { outOfSupport: false, newest: '2.0.0' },
    ],
    [
      'a draft newest major does not count',
      '1.0.0',
      [entry('1.0.0'), entry('3.0.0', DRAFT)],
      { outOfSupport: false, newest: '1.0.0' },
    ],
    [
      'a pre-release of a new major does not count',
      '1.0.0',
      [entry('1.0.0'), entry('2.0.0'), entry('3.0.0-rc.1')],
      { outOfSupport: false, newest: '2.0.0' },
    ],
    [
      'a deprecated newest major still counts (it was released)',
      '1.0.0',
      [entry('1.0.0'), entry('3.0.0', DEPRECATED)],
      { outOfSupport: true, newest: '3.0.0' },
    ],
    [
      'the instance on a yanked old release is judged by its version',
      '1.2.0',
      [entry('1.2.0', YANKED), entry('3.0.0')],
      { outOfSupport: true, newest: '3.0.0' },
    ],
    [
      'a pre-release instance is judged by its major',
      '1.0.0-beta.2',
      [entry('3.0.0')],
      { outOfSupport: true, newest: '3.0.0' },
    ],
    [
      'no released version: in support',
      '1.0.0',
      [entry('4.0.0', DRAFT)],
      { outOfSupport: false, newest: null },
    ],
    [
      'not a semantic version: in support',
      'latest',
      [entry('4.0.0')],
      { outOfSupport: false, newest: '4.0.0' },
    ],
    [
      'entries that are not semantic versions are ignored',
      '1.0.0',
      [entry('9'), entry('2.0.0')],
      { outOfSupport: false, newest: '2.0.0' },
    ],
  ])('%s: %s', (_what, version, catalog, expected) => {
    const status = supportStatus(version, catalog);
    expect({ outOfSupport: status.outOfSupport, newest: status.newestVersion }).toEqual(expected);
  });

  it('says how many majors behind the instance is', () => {
    expect(supportStatus('1.4.0', [entry('4.0.1')]).majorsBehind).toBe(3);
    expect(supportStatus('6.0.0', [entry('4.0.1')]).majorsBehind).toBe(0);
  });

  it('newestReleasedVersion compares by semver, not by text', () => {
    expect(newestReleasedVersion([entry('10.0.0'), entry('9.9.9'), entry('10.0.0-rc.1')])).toBe('10.0.0');
  });
});
