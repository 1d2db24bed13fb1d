import { VersionStatus } from '@upshift/contracts/model';
import fc from 'fast-check';
import { major, prerelease } from 'semver';
import { SUPPORTED_MAJORS_BEHIND, supportStatus } from './support-status';
import type { SupportCatalogEntry } from './support-status';

const versionArbitrary = fc
  .record({
    major: fc.integer({ min: 0, max: 8 }),
    minor: fc.integer({ min: 0, max: 3 }),
    patch: fc.integer({ min: 0, max: 2 }),
    pre: fc.option(fc.constantFrom('rc.1', 'beta.2'), { nil: undefined }),
  })
  .map((v) => `${v.major}.${v.minor}.${v.patch}${v.pre === undefined ? '' : `-${v.pre}`}`);

const catalogArbitrary = fc.array(
  fc.record({ version: versionArbitrary, status: fc.constantFrom(...Object.values(VersionStatus)) }),
  { maxLength: 20 },
);

const released = (e: SupportCatalogEntry): boolean =>
  (e.status === VersionStatus.PUBLISHED || e.status === VersionStatus.DEPRECATED) &&
  prerelease(e.version) === null;

describe('supportStatus properties', () => {
  it('out of support exactly when some released, non-pre-release version is more than one major ahead', () => {
    fc.assert(
      fc.property(versionArbitrary, catalogArbitrary, (version, catalog) => {
        const expected = catalog.some(
          (e) => released(e) && major(e.version) - major(version) > SUPPORTED_MAJORS_BEHIND,
        );
        expect(supportStatus(version, catalog).outOfSupport).toBe(expected);
      }),
    );
  });

  it('adding a draft, yanked or pre-release version never changes the answer', () => {
    fc.assert(
      fc.property(
        versionArbitrary,
        catalogArbitrary,
        fc.record({
          version: versionArbitrary,
          status: fc.constantFrom(...Object.values(VersionStatus)),
        }),
        (version, catalog, extra) => {
          fc.pre(!released(extra));
          expect(supportStatus(version, [...catalog, extra])).toEqual(supportStatus(version, catalog));
        },
      ),
    );
  });

  it('upgrading an instance never takes it out of support', () => {
    fc.assert(
      fc.property(versionArbitrary, versionArbitrary, catalogArbitrary, (a, b, catalog) => {
        const [older, newer] = major(a) <= major(b) ? [a, b] : [b, a];
        if (!supportStatus(older, catalog).outOfSupport) {
          expect(supportStatus(newer, catalog).outOfSupport).toBe(false);
        }
      }),
    );
  });
});
