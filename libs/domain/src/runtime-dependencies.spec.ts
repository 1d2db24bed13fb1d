import { execFile } from 'child_process';
import * as path from 'path';
import { promisify } from 'util';

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
// What the full `@upshift/contracts` entry loads and the pure domain must not (it imports
// `@upshift/contracts/model`): request validation, class transformation and Swagger decorators.
const FORBIDDEN = ['class-validator', 'class-transformer', '@nestjs/swagger'];

/** The module files Node has loaded after requiring the domain's entry in a fresh process. */
async function modulesLoadedByDomain(): Promise<string[]> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      '-r',
      '@swc-node/register',
      '-e',
      "require('./libs/domain/src/index.ts'); console.log(JSON.stringify(Object.keys(require.cache)))",
    ],
    { cwd: REPO_ROOT, timeout: 60_000 },
  );
  return JSON.parse(stdout) as string[];
}

describe('@upshift/domain at run time', () => {
  it('loads the contracts enums but not class-validator, class-transformer or @nestjs/swagger', async () => {
    const loaded = (await modulesLoadedByDomain()).map((file) => file.split(path.sep).join('/'));
    expect(loaded).toContain(path.join(REPO_ROOT, 'libs/domain/src/index.ts').split(path.sep).join('/'));
    expect(loaded.some((file) => file.endsWith('/libs/contracts/src/enums.ts'))).toBe(true);
    const offending = loaded.filter((file) =>
      FORBIDDEN.some((name) => file.includes(`/node_modules/${name}/`)),
    );
    expect(offending).toEqual([]);
  }, 60_000);
});
