import { VersionChannel, VersionStatus } from '@upshift/contracts/model';
import { channelSees, visibleChannels } from './channels';
import {
  VersionNotFoundError,
  availableDowngrades,
  availableUpgrades,
  findUpgradePath,
} from './upgrade-path';
import type { CatalogVersion, FindUpgradePathInput, UpgradePathResult } from './upgrade-path';

const { STABLE, BETA, DEV } = VersionChannel;
const { PUBLISHED, DEPRECATED, YANKED, DRAFT } = VersionStatus;

function release(version: string, overrides: Partial<CatalogVersion> = {}): CatalogVersion {
  return {
    id: `v${version}`,
    version,
    channel: STABLE,
    status: PUBLISHED,
    mandatory: false,
    downgradeAllowed: false,
    dependencies: {},
    ...overrides,
  };
}

/** One component's catalog; each entry's comment says what it is there to show. */
const CATALOG: CatalogVersion[] = [
  release('1.0.0'),
  release('1.2.0'),
  release('1.5.0', { mandatory: true }), // a mandatory waypoint
  release('1.6.0', { downgradeAllowed: true }),
  release('2.0.0', { downgradeAllowed: true }),
  release('2.4.0'), // the highest published stable 2.x
  release('2.5.0', { status: YANKED }), // higher, but yanked: never a target nor a waypoint
  release('2.6.0-beta.1', { channel: BETA }), // the highest 2.x a beta subscriber sees
  release('3.0.0', { dependencies: { kafka: '>=3.5.0 <4', postgresql: '>=15' } }),
  release('3.1.0', { status: DEPRECATED }),
  release('3.2.0', { status: DRAFT }),
  release('4.0.0', { breaking: true, requiresMigration: true }),
  release('5.0.0', { channel: DEV }),
  release('7.0.0'), // no 6.x exists
];

const INSTALLED = { kafka: '3.6.0', postgresql: '16.1' };

interface Summary {
  valid: boolean;
  path: string[];
  blockers: string[];
  warnings: string[];
}

function summarize(result: UpgradePathResult): Summary {
  return {
    valid: result.valid,
    path: result.path.map((hop) => hop.version),
    blockers: result.blockers.map((issue) => issue.code),
    warnings: result.warnings.map((issue) => issue.code),
  };
}

function find(from: string, to: string, extra: Partial<FindUpgradePathInput> = {}): UpgradePathResult {
  return findUpgradePath({
    from: `v${from}`,
    to: `v${to}`,
    versions: CATALOG,
    installedComponents: INSTALLED,
    ...extra,
  });
}

function ok(...path: string[]): Summary {
  return { valid: true, path, blockers: [], warnings: [] };
}

describe('findUpgradePath', () => {
  it.each<[string, string, string, Partial<FindUpgradePathInput>, Summary]>([
    ['An upgrade within a major is a direct target', '1.5.0', '1.6.0', {}, ok('1.6.0')],
    ['The next major is a direct target', '1.6.0', '2.4.0', {}, ok('2.4.0')],
    ['Dependencies are read from installed versions such as "16.1"', '2.4.0', '3.0.0', {}, ok('3.0.0')],
    [
      'A target two majors ahead requires the intermediate major first, routed through its highest published release',
      '2.4.0',
      '4.0.0',
      {},
      {
        valid: false,
        path: ['3.0.0', '4.0.0'],
        blockers: ['REQUIRES_INTERMEDIATE'],
        warnings: ['BREAKING_CHANGES', 'REQUIRES_MIGRATION'],
      },
    ],
    [
      'A mandatory release in between must be passed through first',
      '1.2.0',
      '1.6.0',
      {},
      { valid: false, path: ['1.5.0', '1.6.0'], blockers: ['MANDATORY_WAYPOINT'], warnings: [] },
    ],
    ['Starting from the mandatory release needs no waypoint', '1.5.0', '2.0.0', {}, ok('2.0.0')],
    ['A mandatory release as the target is simply a target', '1.2.0', '1.5.0', {}, ok('1.5.0')],
    [
      'The route passes mandatory releases and the highest release of each intermediate major, never a yanked one',
      '1.0.0',
      '3.0.0',
      {},
      {
        valid: false,
        path: ['1.5.0', '2.4.0', '3.0.0'],
        blockers: ['REQUIRES_INTERMEDIATE', 'MANDATORY_WAYPOINT'],
        warnings: [],
      },
    ],
    [
      'A beta subscriber is routed through beta releases',
      '1.6.0',
      '3.0.0',
      { channel: BETA },
      { valid: false, path: ['2.6.0-beta.1', '3.0.0'], blockers: ['REQUIRES_INTERMEDIATE'], warnings: [] },
    ],
    [
      'A draft is never a target',
      '3.0.0',
      '3.2.0',
      {},
      { valid: false, path: ['3.2.0'], blockers: ['TARGET_NOT_PUBLISHED'], warnings: [] },
    ],
    [
      'A yanked release is never a target',
      '2.4.0',
      '2.5.0',
      {},
      { valid: false, path: ['2.5.0'], blockers: ['TARGET_YANKED'], warnings: [] },
    ],
    [
      'A deprecated target is allowed with a warning',
      '3.0.0',
      '3.1.0',
      {},
      { valid: true, path: ['3.1.0'], blockers: [], warnings: ['TARGET_DEPRECATED'] },
    ],
    [
      'Moving off a yanked release is allowed, with a warning',
      '2.5.0',
      '3.0.0',
      {},
      { valid: true, path: ['3.0.0'], blockers: [], warnings: ['SOURCE_YANKED'] },
    ],
    [
      'The same version is no upgrade',
      '2.4.0',
      '2.4.0',
      {},
      { valid: false, path: [], blockers: ['SAME_VERSION'], warnings: [] },
    ],
    [
      'A downgrade is allowed where the target allows it',
      '2.4.0',
      '2.0.0',
      {},
      { valid: true, path: ['2.0.0'], blockers: [], warnings: ['DOWNGRADE'] },
    ],
    [
      'A downgrade is refused where the target does not allow it',
      '2.4.0',
      '1.2.0',
      {},
      { valid: false, path: ['1.2.0'], blockers: ['DOWNGRADE_NOT_ALLOWED'], warnings: ['DOWNGRADE'] },
    ],
    [
      'A downgrade two majors back goes through a release of the previous major that allows it',
      '3.0.0',
      '1.6.0',
      {},
      {
        valid: false,
        path: ['2.0.0', '1.6.0'],
        blockers: ['REQUIRES_INTERMEDIATE'],
        warnings: ['DOWNGRADE'],
      },
    ],
    [
      'Mandatory releases do not bind a downgrade',
      '2.0.0',
      '1.2.0',
      { versions: CATALOG.map((v) => (v.version === '1.2.0' ? { ...v, downgradeAllowed: true } : v)) },
      { valid: true, path: ['1.2.0'], blockers: [], warnings: ['DOWNGRADE'] },
    ],
    [
      'A downgrade to a yanked release is refused even where it allows downgrades',
      '3.0.0',
      '2.5.0',
      { versions: CATALOG.map((v) => (v.version === '2.5.0' ? { ...v, downgradeAllowed: true } : v)) },
      { valid: false, path: ['2.5.0'], blockers: ['TARGET_YANKED'], warnings: ['DOWNGRADE'] },
    ],
    [
      'A downgrade checks the target’s dependencies like an upgrade',
      '3.1.0',
      '3.0.0',
      {
        versions: CATALOG.map((v) => (v.version === '3.0.0' ? { ...v, downgradeAllowed: true } : v)),
        installedComponents: {},
      },
      {
        valid: false,
        path: ['3.0.0'],
        blockers: ['DEPENDENCY_MISSING', 'DEPENDENCY_MISSING'],
        warnings: ['DOWNGRADE'],
      },
    ],
    [
      'A downgrade two majors back without a release of the previous major that allows it is reported',
      '3.0.0',
      '1.6.0',
      { versions: CATALOG.map((v) => (v.version === '2.0.0' ? { ...v, downgradeAllowed: false } : v)) },
      {
        valid: false,
        path: ['1.6.0'],
        blockers: ['REQUIRES_INTERMEDIATE', 'NO_INTERMEDIATE_AVAILABLE'],
        warnings: ['DOWNGRADE'],
      },
    ],
    [
      'An intermediate major without a release the caller sees is reported',
      '4.0.0',
      '7.0.0',
      {},
      {
        valid: false,
        path: ['7.0.0'],
        blockers: ['REQUIRES_INTERMEDIATE', 'NO_INTERMEDIATE_AVAILABLE', 'NO_INTERMEDIATE_AVAILABLE'],
        warnings: [],
      },
    ],
    [
      'A dev subscriber may pass through a dev release',
      '4.0.0',
      '7.0.0',
      { channel: DEV },
      {
        valid: false,
        path: ['5.0.0', '7.0.0'],
        blockers: ['REQUIRES_INTERMEDIATE', 'NO_INTERMEDIATE_AVAILABLE'],
        warnings: [],
      },
    ],
    [
      'A target on a channel the caller does not see is allowed with a warning',
      '4.0.0',
      '5.0.0',
      { channel: STABLE },
      { valid: true, path: ['5.0.0'], blockers: [], warnings: ['CHANNEL_MISMATCH'] },
    ],
    [
      'An installed dependency outside the range blocks',
      '2.4.0',
      '3.0.0',
      { installedComponents: { kafka: '3.4.2', postgresql: '16.1' } },
      { valid: false, path: ['3.0.0'], blockers: ['DEPENDENCY_UNSATISFIED'], warnings: [] },
    ],
    [
      'A dependency that is not installed blocks',
      '2.4.0',
      '3.0.0',
      { installedComponents: { kafka: '3.6.0' } },
      { valid: false, path: ['3.0.0'], blockers: ['DEPENDENCY_MISSING'], warnings: [] },
    ],
    [
      'No installed components at all means every dependency is missing',
      '2.4.0',
      '3.0.0',
      { installedComponents: undefined },
      { valid: false, path: ['3.0.0'], blockers: ['DEPENDENCY_MISSING', 'DEPENDENCY_MISSING'], warnings: [] },
    ],
    [
      'An installed version that is not a version does not satisfy a range',
      '2.4.0',
      '3.0.0',
      { installedComponents: { kafka: 'latest', postgresql: '16.1' } },
      { valid: false, path: ['3.0.0'], blockers: ['DEPENDENCY_UNSATISFIED'], warnings: [] },
    ],
    [
      'Waypoints’ dependencies are checked too',
      '2.4.0',
      '4.0.0',
      { installedComponents: { kafka: '3.6.0' } },
      {
        valid: false,
        path: ['3.0.0', '4.0.0'],
        blockers: ['REQUIRES_INTERMEDIATE', 'DEPENDENCY_MISSING'],
        warnings: ['BREAKING_CHANGES', 'REQUIRES_MIGRATION'],
      },
    ],
  ])('%s', (_rule, from, to, extra, expected) => {
    expect(summarize(find(from, to, extra))).toEqual(expected);
  });

  describe('messages say what to do', () => {
    it('the major-hop blocker names the waypoint: "requires upgrade to 3.x first"', () => {
      expect(find('2.4.0', '4.0.0').blockers[0]).toEqual({
        code: 'REQUIRES_INTERMEDIATE',
        message:
          '4.0.0 is 2 majors ahead of 2.4.0: requires upgrade to 3.x first (suggested route starts at 3.0.0).',
      });
    });

    it('the major-hop blocker of 1.x → 3.x says "requires upgrade to 2.x first"', () => {
      expect(find('1.5.0', '3.0.0').blockers[0]?.message).toContain('requires upgrade to 2.x first');
    });

    it('a downgrade blocker names the previous major', () => {
      expect(find('3.0.0', '1.6.0').blockers[0]?.message).toBe(
        '1.6.0 is 2 majors behind 3.0.0: requires downgrade to 2.x first (suggested route starts at 2.0.0).',
      );
    });

    it('an unsatisfied dependency names the dependency, the range and the installed version', () => {
      expect(
        find('2.4.0', '3.0.0', { installedComponents: { kafka: '3.4.2', postgresql: '16.1' } }).blockers,
      ).toEqual([
        {
          code: 'DEPENDENCY_UNSATISFIED',
          message:
            '3.0.0 requires kafka >=3.5.0 <4, but kafka 3.4.2 is installed; upgrade kafka to a version in >=3.5.0 <4 first.',
        },
      ]);
    });

    it('a missing dependency names the dependency and the range', () => {
      expect(find('2.4.0', '3.0.0', { installedComponents: { kafka: '3.6.0' } }).blockers).toEqual([
        {
          code: 'DEPENDENCY_MISSING',
          message:
            '3.0.0 requires postgresql >=15, but postgresql is not installed; install postgresql first.',
        },
      ]);
    });

    it('a mandatory waypoint is named', () => {
      expect(find('1.2.0', '1.6.0').blockers[0]?.message).toBe(
        '1.5.0 is a mandatory release: requires upgrade to 1.5.0 first.',
      );
    });

    it('a missing intermediate major is named', () => {
      expect(find('4.0.0', '7.0.0').blockers.map((b) => b.message)).toContain(
        'No 6.x release on the stable channel can be passed through on the way to 7.0.0.',
      );
    });
  });

  describe('ends that cannot be used', () => {
    it('reports unknown ids for both ends', () => {
      expect(summarize(findUpgradePath({ from: 'nope', to: 'nada', versions: CATALOG }))).toEqual({
        valid: false,
        path: [],
        blockers: ['VERSION_NOT_FOUND', 'VERSION_NOT_FOUND'],
        warnings: [],
      });
    });

    it('reports a version that is not semver', () => {
      const broken = release('one-point-oh');
      const result = findUpgradePath({ from: broken, to: 'v2.0.0', versions: [...CATALOG, broken] });
      expect(result.blockers).toEqual([
        { code: 'INVALID_VERSION', message: 'Source "one-point-oh" is not a semantic version.' },
      ]);
    });

    it('accepts catalog versions as well as ids', () => {
      const [from, to] = [CATALOG[3], CATALOG[4]];
      if (!from || !to) throw new Error('catalog fixture changed');
      expect(summarize(findUpgradePath({ from, to, versions: CATALOG }))).toEqual(ok('2.0.0'));
    });

    it('ignores catalog entries that are not semver when routing', () => {
      const result = find('2.4.0', '4.0.0', { versions: [...CATALOG, release('3.x-final')] });
      expect(result.path.map((hop) => hop.version)).toEqual(['3.0.0', '4.0.0']);
    });

    it('reports a dependency range that is not a range', () => {
      const odd = release('2.7.0', { dependencies: { kafka: 'three-ish' } });
      const result = find('2.4.0', '2.7.0', { versions: [...CATALOG, odd] });
      expect(result.blockers).toEqual([
        {
          code: 'DEPENDENCY_RANGE_INVALID',
          message:
            '2.7.0 declares kafka "three-ish", which is not a semver range; fix the release\'s dependencies.',
        },
      ]);
    });
  });

  describe('waypoint choice', () => {
    it('uses a deprecated release only when its major has no published one, and warns', () => {
      const versions = [release('1.0.0'), release('2.0.0', { status: DEPRECATED }), release('3.0.0')];
      expect(summarize(findUpgradePath({ from: 'v1.0.0', to: 'v3.0.0', versions }))).toEqual({
        valid: false,
        path: ['2.0.0', '3.0.0'],
        blockers: ['REQUIRES_INTERMEDIATE'],
        warnings: ['WAYPOINT_DEPRECATED'],
      });
    });

    it('prefers a published release over a higher deprecated one', () => {
      const versions = [
        release('1.0.0'),
        release('2.1.0'),
        release('2.2.0', { status: DEPRECATED }),
        release('3.0.0'),
      ];
      expect(findUpgradePath({ from: 'v1.0.0', to: 'v3.0.0', versions }).path.map((h) => h.version)).toEqual([
        '2.1.0',
        '3.0.0',
      ]);
    });

    it('lets a mandatory release above the usual waypoint be its major’s last stop', () => {
      const versions = [
        release('1.0.0'),
        release('2.1.0'),
        release('2.2.0', { status: DEPRECATED, mandatory: true }),
        release('3.0.0'),
      ];
      expect(findUpgradePath({ from: 'v1.0.0', to: 'v3.0.0', versions }).path.map((h) => h.version)).toEqual([
        '2.2.0',
        '3.0.0',
      ]);
    });

    it('passes a mandatory release below the usual waypoint, then the waypoint', () => {
      const versions = [
        release('1.0.0'),
        release('2.1.0', { mandatory: true }),
        release('2.3.0'),
        release('3.0.0'),
      ];
      expect(findUpgradePath({ from: 'v1.0.0', to: 'v3.0.0', versions }).path.map((h) => h.version)).toEqual([
        '2.1.0',
        '2.3.0',
        '3.0.0',
      ]);
    });

    it('does not count a mandatory release on a channel the caller does not see', () => {
      const versions = [
        release('1.0.0'),
        release('1.1.0', { channel: DEV, mandatory: true }),
        release('1.2.0'),
      ];
      expect(findUpgradePath({ from: 'v1.0.0', to: 'v1.2.0', versions }).valid).toBe(true);
      expect(findUpgradePath({ from: 'v1.0.0', to: 'v1.2.0', versions, channel: DEV }).valid).toBe(false);
    });
  });
});

describe('availableUpgrades', () => {
  function listed(from: string, channel: VersionChannel): [string, boolean, string | null][] {
    return availableUpgrades(`v${from}`, CATALOG, channel).map((t) => [
      t.version,
      t.directTarget,
      t.requiredIntermediate,
    ]);
  }

  it('lists newer published and deprecated releases on the channel, newest first, with the major-hop rule', () => {
    expect(listed('2.4.0', STABLE)).toEqual([
      ['7.0.0', false, 'requires upgrade to 3.x first'],
      ['4.0.0', false, 'requires upgrade to 3.x first'],
      ['3.1.0', true, null],
      ['3.0.0', true, null],
    ]);
  });

  it('names a mandatory release as the first required stop', () => {
    expect(listed('1.2.0', STABLE)).toEqual([
      ['7.0.0', false, 'requires upgrade to 1.5.0 first (mandatory release)'],
      ['4.0.0', false, 'requires upgrade to 1.5.0 first (mandatory release)'],
      ['3.1.0', false, 'requires upgrade to 1.5.0 first (mandatory release)'],
      ['3.0.0', false, 'requires upgrade to 1.5.0 first (mandatory release)'],
      ['2.4.0', false, 'requires upgrade to 1.5.0 first (mandatory release)'],
      ['2.0.0', false, 'requires upgrade to 1.5.0 first (mandatory release)'],
      ['1.6.0', false, 'requires upgrade to 1.5.0 first (mandatory release)'],
      ['1.5.0', true, null],
    ]);
  });

  it('names the next major before a mandatory release further out', () => {
    const versions = [
      release('1.0.0'),
      release('2.0.0'),
      release('3.1.0', { mandatory: true }),
      release('3.2.0'),
    ];
    expect(
      availableUpgrades('v1.0.0', versions, STABLE).find((t) => t.version === '3.2.0')?.requiredIntermediate,
    ).toBe('requires upgrade to 2.x first');
  });

  it.each<[string, VersionChannel, string[]]>([
    ['stable sees stable releases only', STABLE, ['7.0.0', '4.0.0', '3.1.0', '3.0.0']],
    ['beta sees beta and stable releases', BETA, ['7.0.0', '4.0.0', '3.1.0', '3.0.0', '2.6.0-beta.1']],
    ['dev sees every channel', DEV, ['7.0.0', '5.0.0', '4.0.0', '3.1.0', '3.0.0', '2.6.0-beta.1']],
  ])('%s', (_rule, channel, versions) => {
    expect(availableUpgrades('v2.4.0', CATALOG, channel).map((t) => t.version)).toEqual(versions);
  });

  it('carries each target’s channel and status', () => {
    expect(availableUpgrades('v3.0.0', CATALOG, STABLE).find((t) => t.version === '3.1.0')).toEqual({
      versionId: 'v3.1.0',
      version: '3.1.0',
      channel: STABLE,
      status: DEPRECATED,
      directTarget: true,
      requiredIntermediate: null,
    });
  });

  it('refuses an unknown source with a typed error', () => {
    expect(() => availableUpgrades('v9.9.9', CATALOG, STABLE)).toThrow(VersionNotFoundError);
    expect(() => availableUpgrades('v9.9.9', CATALOG, STABLE)).toThrow(
      "Version v9.9.9 is not in this component's catalog; list the component's versions for valid ids.",
    );
  });

  it('refuses a source that is not semver', () => {
    expect(() => availableUpgrades(release('nightly'), CATALOG, STABLE)).toThrow(VersionNotFoundError);
  });
});

describe('availableDowngrades', () => {
  it('lists older releases that allow downgrades, newest first, with the one-major rule', () => {
    expect(
      availableDowngrades('v3.0.0', CATALOG).map((t) => [t.version, t.directTarget, t.requiredIntermediate]),
    ).toEqual([
      ['2.0.0', true, null],
      ['1.6.0', false, 'requires downgrade to 2.x first'],
    ]);
  });

  it('can be narrowed to a channel', () => {
    const versions = [...CATALOG, release('2.1.0', { channel: DEV, downgradeAllowed: true })];
    expect(availableDowngrades('v2.4.0', versions).map((t) => t.version)).toEqual([
      '2.1.0',
      '2.0.0',
      '1.6.0',
    ]);
    expect(availableDowngrades('v2.4.0', versions, STABLE).map((t) => t.version)).toEqual(['2.0.0', '1.6.0']);
  });
});

describe('channels', () => {
  it.each<[VersionChannel, VersionChannel[]]>([
    [STABLE, [STABLE]],
    [BETA, [STABLE, BETA]],
    [DEV, [STABLE, BETA, DEV]],
  ])('a %s subscriber sees %j', (subscriber, expected) => {
    expect(visibleChannels(subscriber)).toEqual(expected);
    expect(channelSees(subscriber, subscriber)).toBe(true);
  });
});
