import { VersionChannel, VersionStatus } from '@upshift/contracts/model';
import fc from 'fast-check';
import { gt } from 'semver';
import { channelSees } from './channels';
import { availableDowngrades, availableUpgrades, findUpgradePath } from './upgrade-path';
import type { CatalogVersion } from './upgrade-path';

/** Random catalogs: majors 0–5, a few minors and patches, every channel and status, some mandatory. */
const catalogArbitrary = fc
  .uniqueArray(
    fc.record({
      major: fc.integer({ min: 0, max: 5 }),
      minor: fc.integer({ min: 0, max: 3 }),
      patch: fc.integer({ min: 0, max: 1 }),
      channel: fc.constantFrom(...Object.values(VersionChannel)),
      status: fc.constantFrom(
        VersionStatus.PUBLISHED,
        VersionStatus.PUBLISHED,
        VersionStatus.PUBLISHED,
        VersionStatus.DEPRECATED,
        VersionStatus.DRAFT,
        VersionStatus.YANKED,
      ),
      mandatory: fc.integer({ min: 0, max: 9 }).map((n) => n < 2),
      downgradeAllowed: fc.boolean(),
    }),
    { minLength: 2, maxLength: 25, selector: (v) => `${v.major}.${v.minor}.${v.patch}` },
  )
  .map((entries) =>
    entries.map((entry): CatalogVersion => ({
      id: `v${entry.major}.${entry.minor}.${entry.patch}`,
      version: `${entry.major}.${entry.minor}.${entry.patch}`,
      channel: entry.channel,
      status: entry.status,
      mandatory: entry.mandatory,
      downgradeAllowed: entry.downgradeAllowed,
      dependencies: {},
    })),
  );

const scenario = catalogArbitrary.chain((versions) =>
  fc.record({
    versions: fc.constant(versions),
    from: fc.constantFrom(...versions),
    to: fc.constantFrom(...versions),
    channel: fc.constantFrom<VersionChannel | undefined>(undefined, ...Object.values(VersionChannel)),
  }),
);

const PATH_SHAPE_BLOCKERS = ['REQUIRES_INTERMEDIATE', 'MANDATORY_WAYPOINT'];

describe('upgrade path properties', () => {
  it('every hop of a found path is a permitted direct target from the stop before it', () => {
    fc.assert(
      fc.property(scenario, ({ versions, from, to, channel }) => {
        fc.pre(channel === undefined || channelSees(channel, to.channel));
        const result = findUpgradePath({ from, to, versions, channel });
        const codes = result.blockers.map((b) => b.code);
        // Only complete routes to an installable target are claimed to be walkable.
        fc.pre(
          result.path.length > 0 &&
            !codes.some((code) =>
              [
                'TARGET_NOT_PUBLISHED',
                'TARGET_YANKED',
                'NO_INTERMEDIATE_AVAILABLE',
                'DOWNGRADE_NOT_ALLOWED',
              ].includes(code),
            ),
        );
        const effectiveChannel = channel ?? to.channel;
        const upgrading = gt(to.version, from.version);
        let previous = from;
        for (const hop of result.path) {
          const candidates = upgrading
            ? availableUpgrades(previous, versions, effectiveChannel)
            : availableDowngrades(previous, versions, effectiveChannel);
          const listed = candidates.find((candidate) => candidate.versionId === hop.versionId);
          expect(listed).toMatchObject({ directTarget: true, requiredIntermediate: null });
          const next = versions.find((version) => version.id === hop.versionId);
          if (!next) throw new Error(`path names unknown version ${hop.versionId}`);
          previous = next;
        }
        expect(previous.id).toBe(to.id);
      }),
      { numRuns: 400 },
    );
  });

  it('a valid answer is exactly one direct hop to the target', () => {
    fc.assert(
      fc.property(scenario, ({ versions, from, to, channel }) => {
        const result = findUpgradePath({ from, to, versions, channel });
        fc.pre(result.valid);
        expect(result.path).toEqual([{ versionId: to.id, version: to.version }]);
        expect([VersionStatus.PUBLISHED, VersionStatus.DEPRECATED]).toContain(to.status);
      }),
      { numRuns: 400 },
    );
  });

  it('draft and yanked releases are never targets nor waypoints', () => {
    fc.assert(
      fc.property(scenario, ({ versions, from, to, channel }) => {
        const result = findUpgradePath({ from, to, versions, channel });
        const waypoints = result.path.slice(0, -1).map((hop) => versions.find((v) => v.id === hop.versionId));
        for (const waypoint of waypoints) {
          expect([VersionStatus.PUBLISHED, VersionStatus.DEPRECATED]).toContain(waypoint?.status);
        }
        if (to.status === VersionStatus.DRAFT || to.status === VersionStatus.YANKED) {
          expect(result.valid).toBe(false);
        }
        for (const listed of availableUpgrades(from, versions, channel ?? VersionChannel.DEV)) {
          expect([VersionStatus.PUBLISHED, VersionStatus.DEPRECATED]).toContain(listed.status);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('availableUpgrades marks a target direct exactly when findUpgradePath finds no path-shape blocker', () => {
    fc.assert(
      fc.property(
        catalogArbitrary,
        fc.constantFrom(...Object.values(VersionChannel)),
        (versions, channel) => {
          for (const from of versions) {
            for (const target of availableUpgrades(from, versions, channel)) {
              const result = findUpgradePath({ from, to: target.versionId, versions, channel });
              const shapeBlocked = result.blockers.some((b) => PATH_SHAPE_BLOCKERS.includes(b.code));
              expect(target.directTarget).toBe(!shapeBlocked);
              expect(channelSees(channel, target.channel)).toBe(true);
            }
          }
        },
      ),
      { numRuns: 100 },
    );
  });
});
