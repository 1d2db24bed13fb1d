import { readFileSync } from 'fs';
import * as path from 'path';

/**
 * README "Testing against Upshift with testcontainers" shows a user's Jest test: it must be
 * test/follow-upgrade.spec.ts verbatim, so that the block a user copies is the one this project runs.
 */
const ROOT = path.join(__dirname, '..', '..', '..');
const MARKER = '<!-- readme-example: testcontainers';

describe('README testcontainers example', () => {
  it('is test/follow-upgrade.spec.ts, verbatim', () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const marker = readme.indexOf(MARKER);
    expect(marker).toBeGreaterThanOrEqual(0);
    const block = /```ts\n([\s\S]*?)```/.exec(readme.slice(marker))?.[1];
    expect(block).toBe(readFileSync(path.join(__dirname, 'follow-upgrade.spec.ts'), 'utf8'));
  });
});
