import { VersionStatus, type VersionAction } from '@upshift/contracts';
import { allowedVersionActions, transitionVersion } from './version-lifecycle';

const ACTIONS: VersionAction[] = ['publish', 'deprecate', 'yank'];

// Every (status, action) pair, with what must happen.
const TABLE: [VersionStatus, VersionAction, VersionStatus | null][] = [
  [VersionStatus.DRAFT, 'publish', VersionStatus.PUBLISHED],
  [VersionStatus.DRAFT, 'deprecate', null],
  [VersionStatus.DRAFT, 'yank', null],
  [VersionStatus.PUBLISHED, 'publish', null],
  [VersionStatus.PUBLISHED, 'deprecate', VersionStatus.DEPRECATED],
  [VersionStatus.PUBLISHED, 'yank', VersionStatus.YANKED],
  [VersionStatus.DEPRECATED, 'publish', null],
  [VersionStatus.DEPRECATED, 'deprecate', null],
  [VersionStatus.DEPRECATED, 'yank', VersionStatus.YANKED],
  [VersionStatus.YANKED, 'publish', null],
  [VersionStatus.YANKED, 'deprecate', null],
  [VersionStatus.YANKED, 'yank', null],
];

describe('version lifecycle', () => {
  it('covers every status and action', () => {
    expect(TABLE).toHaveLength(Object.values(VersionStatus).length * ACTIONS.length);
  });

  it.each(TABLE)('%s + %s → %s', (from, action, to) => {
    const result = transitionVersion(from, action);
    if (to === null) {
      expect(result).toEqual({ ok: false, from, action, allowedActions: allowedVersionActions(from) });
    } else {
      expect(result).toEqual({ ok: true, to });
    }
  });

  it('never moves a version backwards', () => {
    const order = [
      VersionStatus.DRAFT,
      VersionStatus.PUBLISHED,
      VersionStatus.DEPRECATED,
      VersionStatus.YANKED,
    ];
    for (const [from, action] of TABLE) {
      const result = transitionVersion(from, action);
      if (result.ok) expect(order.indexOf(result.to)).toBeGreaterThan(order.indexOf(from));
    }
  });

  it('leaves a yanked version no way out', () => {
    expect(allowedVersionActions(VersionStatus.YANKED)).toEqual([]);
  });
});
