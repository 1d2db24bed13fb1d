import type { Config } from 'jest';
import * as path from 'path';

/**
 * The one Jest setup every project shares: SWC transforms TypeScript (with decorator metadata,
 * which NestJS dependency injection needs), and the @upshift/* aliases of tsconfig.base.json.
 */
const root = __dirname;

export function jestProject(displayName: string, dir: string, extra: Partial<Config> = {}): Config {
  return {
    displayName,
    rootDir: dir,
    testEnvironment: 'node',
    // Services started in tests log nothing unless LOG_LEVEL asks (jest.setup.ts).
    setupFiles: [path.join(root, 'jest.setup.ts')],
    testMatch: ['<rootDir>/**/*.spec.ts', '<rootDir>/**/*.test.ts'],
    testPathIgnorePatterns: ['/node_modules/', '/dist/'],
    transform: {
      '^.+\\.ts$': [
        '@swc/jest',
        {
          jsc: {
            parser: { syntax: 'typescript', decorators: true },
            transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
            target: 'es2022',
          },
          module: { type: 'commonjs' },
          sourceMaps: 'inline',
        },
      ],
    },
    // Coverage is measured where it is a gate (libs/domain overrides these two); elsewhere it would
    // only slow the integration suites down.
    collectCoverageFrom: [],
    coveragePathIgnorePatterns: ['.*'],
    moduleNameMapper: {
      // The enums-and-types entry (no class-validator, no Swagger): what libs/domain may load.
      '^@upshift/contracts/model$': path.join(root, 'libs', 'contracts', 'src', 'model.ts'),
      '^@upshift/(contracts|domain|messaging|kafka-broker|testing|http|cli|signing|demo-catalog|fleet|stack|chaos|metrics|tracing|testcontainers)$':
        path.join(root, 'libs', '$1', 'src', 'index.ts'),
    },
    ...extra,
  };
}
