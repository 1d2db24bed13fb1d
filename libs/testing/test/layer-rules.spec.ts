import { execFile } from 'child_process';
import * as path from 'path';
import type { LintMessage, Snippet } from './support/lint-snippets';

/**
 * The layers of README "Layout" are lint errors, not conventions (ADR 0063): the repository's own ESLint
 * configuration, run on imports that cross a layer and on imports the layer table allows.
 */
const ROOT = path.join(__dirname, '..', '..', '..');
const BOUNDARIES = '@nx/enforce-module-boundaries';
const RESTRICTED = '@typescript-eslint/no-restricted-imports';

interface Case extends Snippet {
  rule: string;
}

const importing = (names: string, from: string) => `import { ${names} } from '${from}';\nvoid [${names}];\n`;

const CASES = {
  appTestImportsAppByPath: {
    file: 'apps/worker/test/boundary-witness.spec.ts',
    source: importing('startFleet', '../../fleet-sim/src/main'),
    rule: BOUNDARIES,
  },
  appTestImportsRegistryMain: {
    file: 'apps/orchestrator/test/support/boundary-witness.ts',
    source: importing('createRegistryApp', '../../../registry/src/main'),
    rule: BOUNDARIES,
  },
  libImportsApp: {
    file: 'libs/stack/src/boundary-witness.ts',
    source: importing('createRegistryApp', '../../../apps/registry/src/main'),
    rule: BOUNDARIES,
  },
  fleetImportsHttp: {
    file: 'libs/fleet/src/boundary-witness.ts',
    source: importing('mintToken', '@upshift/http'),
    rule: BOUNDARIES,
  },
  contractsImportDomain: {
    file: 'libs/contracts/src/boundary-witness.ts',
    source: importing('isTerminal', '@upshift/domain'),
    rule: BOUNDARIES,
  },
  appImportsTesting: {
    file: 'apps/fleet-sim/src/boundary-witness.ts',
    source: importing('testToken', '@upshift/testing'),
    rule: BOUNDARIES,
  },
  domainImportsContracts: {
    file: 'libs/domain/src/boundary-witness.ts',
    source: importing('ExecutionStatus', '@upshift/contracts'),
    rule: RESTRICTED,
  },
  domainImportsContractsModel: {
    file: 'libs/domain/src/boundary-witness.ts',
    source: importing('ExecutionStatus', '@upshift/contracts/model'),
    rule: RESTRICTED,
  },
  appTestImportsFleet: {
    file: 'apps/worker/test/boundary-witness.spec.ts',
    source: importing('startFleet', '@upshift/fleet'),
    rule: BOUNDARIES,
  },
  stackImportsDemoCatalog: {
    file: 'libs/stack/src/boundary-witness.ts',
    source: importing('seedRegistry', '@upshift/demo-catalog'),
    rule: BOUNDARIES,
  },
} satisfies Record<string, Case>;

type CaseName = keyof typeof CASES;
let messages: Record<CaseName, string[]>;

/** One ESLint run for every case (building the project graph and the TypeScript parser is most of it). */
function lintAll(): Promise<Record<CaseName, string[]>> {
  const names = Object.keys(CASES) as CaseName[];
  const snippets: Snippet[] = names.map((name) => ({ file: CASES[name].file, source: CASES[name].source }));
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      ['-r', '@swc-node/register', path.join(__dirname, 'support', 'lint-snippets.ts')],
      { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) return reject(new Error(`${error.message}\n${stderr}`));
        const results = JSON.parse(stdout) as LintMessage[][];
        resolve(
          Object.fromEntries(
            names.map((name, i) => [
              name,
              (results[i] ?? []).filter((m) => m.ruleId === CASES[name].rule).map((m) => m.message),
            ]),
          ) as Record<CaseName, string[]>,
        );
      },
    );
    child.stdin?.end(JSON.stringify(snippets));
  });
}

beforeAll(async () => {
  messages = await lintAll();
}, 120_000);

describe('the layer rules', () => {
  it("refuse an app's test importing another app's source by relative path", () => {
    expect(messages.appTestImportsAppByPath).toEqual([
      expect.stringMatching(/Imports of apps are forbidden|relative or absolute path/),
    ]);
    expect(messages.appTestImportsRegistryMain).toEqual([
      expect.stringMatching(/Imports of apps are forbidden|relative or absolute path/),
    ]);
  });

  it('refuse a lib importing an app', () => {
    expect(messages.libImportsApp).toEqual([
      expect.stringMatching(/Imports of apps are forbidden|relative or absolute path/),
    ]);
  });

  it('refuse a lib importing a lib its layer does not allow', () => {
    expect(messages.fleetImportsHttp).toEqual([
      expect.stringContaining('can only depend on libs tagged with "layer:contracts"'),
    ]);
    expect(messages.contractsImportDomain).toEqual([
      expect.stringContaining('can only depend on libs tagged with "layer:contracts"'),
    ]);
  });

  it("refuse an app's run-time code importing the test helpers", () => {
    expect(messages.appImportsTesting).toEqual([expect.stringContaining('"type:app" can only depend on')]);
  });

  it('let libs/domain reach the contracts only through their enums-and-types entry', () => {
    expect(messages.domainImportsContracts).toEqual([
      expect.stringContaining("'@upshift/contracts/model' only"),
    ]);
    expect(messages.domainImportsContractsModel).toEqual([]);
  });

  it('allow what the table allows', () => {
    expect(messages.appTestImportsFleet).toEqual([]);
    expect(messages.stackImportsDemoCatalog).toEqual([]);
  });
});
