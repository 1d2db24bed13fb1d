import * as fs from 'fs';
import * as path from 'path';
import { UPGRADE_REQUEST_DEFAULTS } from '../rest/upgrade-request-defaults';
import { CANARY_UPGRADE_EXAMPLE, canaryUpgradeExample } from './canary-upgrade.example';

const CONTRACT = path.resolve(__dirname, '..', '..', '..', '..', 'docs', 'api-contract.md');

/** The JSON body of the contract's `curl -X POST …/upgrades` example, its "…" ids left out. */
function contractExampleBody(): Record<string, unknown> {
  const markdown = fs.readFileSync(CONTRACT, 'utf8');
  const match = /curl -X POST \S+\/upgrades[^]*?-d '([^']+)'/.exec(markdown);
  if (!match?.[1]) throw new Error(`no example create request found in ${CONTRACT}`);
  const body = JSON.parse(match[1]) as Record<string, unknown>;
  return Object.fromEntries(Object.entries(body).filter(([, value]) => value !== '…'));
}

describe('the CANARY upgrade example', () => {
  it('has every value the example of docs/api-contract.md states', () => {
    const stated = contractExampleBody();
    expect(Object.keys(stated)).toEqual(['strategy', 'totalInstances', 'autoRollbackEnabled']);
    expect(CANARY_UPGRADE_EXAMPLE).toMatchObject(stated);
  });

  it('leaves every field the contract example omits at its documented default', () => {
    const stated = contractExampleBody();
    const omitted = Object.entries(UPGRADE_REQUEST_DEFAULTS).filter(([field]) => !(field in stated));
    expect(omitted.map(([field]) => field)).toEqual([
      'canaryPercentage',
      'batchSize',
      'batchDelaySeconds',
      'healthCheckIntervalSeconds',
      'healthCheckTimeoutSeconds',
      'maxUnavailablePercentage',
      'failureThreshold',
    ]);
    for (const [field, value] of omitted) {
      expect({ field, value: CANARY_UPGRADE_EXAMPLE[field as keyof typeof CANARY_UPGRADE_EXAMPLE] }).toEqual({
        field,
        value,
      });
    }
  });

  it("takes the caller's ids and values, and hands out a copy each time", () => {
    const mine = canaryUpgradeExample({ componentId: 'c', totalInstances: 4 });
    expect(mine).toEqual({ ...CANARY_UPGRADE_EXAMPLE, componentId: 'c', totalInstances: 4 });
    mine.installedComponents['redis'] = '7.2.0';
    expect(canaryUpgradeExample().installedComponents).toEqual({ kafka: '3.6.0', postgresql: '16.1' });
  });
});
