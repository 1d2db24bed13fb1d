// @ts-check
import eslint from '@eslint/js';
import nx from '@nx/eslint-plugin';
import devkit from '@nx/devkit';
import tseslint from 'typescript-eslint';

// @nx/enforce-module-boundaries reads the cached project graph and skips itself when there is none (a
// fresh checkout; nx.json runs no daemon): build or refresh it first, so the layer rules always run.
await devkit.createProjectGraphAsync({ exitOnError: true });

/**
 * The layers (README "Layout", ADR 0063): what a project's run-time code may import. An app imports
 * libs, never another app; a lib imports only the libs below it.
 */
const RUNTIME_LAYERS = [
  // Not libs/testing nor the whole-stack launcher (libs/stack): those are for tests, benches and scripts.
  {
    sourceTag: 'type:app',
    onlyDependOnLibsWithTags: [
      'layer:contracts',
      'layer:domain',
      'layer:messaging',
      'layer:kafka-broker',
      'layer:http',
      'layer:cli',
      'layer:signing',
      'layer:demo-catalog',
      'layer:fleet',
      'layer:metrics',
      'layer:tracing',
    ],
  },
  { sourceTag: 'type:script', onlyDependOnLibsWithTags: ['type:lib'] },
  { sourceTag: 'layer:contracts', onlyDependOnLibsWithTags: ['layer:contracts'] },
  { sourceTag: 'layer:domain', onlyDependOnLibsWithTags: ['layer:contracts'] },
  {
    sourceTag: 'layer:messaging',
    onlyDependOnLibsWithTags: ['layer:contracts', 'layer:metrics', 'layer:tracing'],
  },
  { sourceTag: 'layer:metrics', onlyDependOnLibsWithTags: [] },
  { sourceTag: 'layer:tracing', onlyDependOnLibsWithTags: [] },
  { sourceTag: 'layer:kafka-broker', onlyDependOnLibsWithTags: ['layer:kafka-broker'] },
  { sourceTag: 'layer:http', onlyDependOnLibsWithTags: ['layer:contracts'] },
  { sourceTag: 'layer:cli', onlyDependOnLibsWithTags: ['layer:cli'] },
  { sourceTag: 'layer:signing', onlyDependOnLibsWithTags: ['layer:signing'] },
  { sourceTag: 'layer:demo-catalog', onlyDependOnLibsWithTags: ['layer:contracts', 'layer:signing'] },
  { sourceTag: 'layer:fleet', onlyDependOnLibsWithTags: ['layer:contracts'] },
  {
    sourceTag: 'layer:stack',
    onlyDependOnLibsWithTags: [
      'layer:contracts',
      'layer:domain',
      'layer:messaging',
      'layer:kafka-broker',
      'layer:http',
      'layer:fleet',
      'layer:demo-catalog',
    ],
  },
  { sourceTag: 'layer:testing', onlyDependOnLibsWithTags: ['type:lib'] },
  // Upshift in containers for users' tests (libs/testcontainers): REST views, token minting, terminal statuses.
  {
    sourceTag: 'layer:testcontainers',
    onlyDependOnLibsWithTags: ['layer:contracts', 'layer:domain', 'layer:http'],
  },
  // The chaos harness (ADR 0083) runs and kills the whole stack: what libs/stack may use, the stack itself.
  {
    sourceTag: 'layer:chaos',
    onlyDependOnLibsWithTags: [
      'layer:contracts',
      'layer:domain',
      'layer:messaging',
      'layer:kafka-broker',
      'layer:http',
      'layer:fleet',
      'layer:demo-catalog',
      'layer:stack',
    ],
  },
];

/** Tests and benchmarks may also use libs/testing, libs/cli and the launcher: any lib, still never an app. */
const TEST_LAYERS = [
  { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:lib'] },
  { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib'] },
];

const TEST_FILES = ['**/test/**/*.ts', '**/bench/**/*.ts', '**/*.spec.ts', '**/*.test.ts'];

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'dist/**',
      '.data/**',
      'coverage/**',
      '.nx/**',
      '**/*.js',
      '**/*.mjs',
      '**/*.cjs',
    ],
  },
  eslint.configs.recommended,
  ...tseslint.configs.strict,
  ...tseslint.configs.stylistic,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // NestJS modules and DTOs are classes whose bodies are filled by decorators.
      '@typescript-eslint/no-extraneous-class': 'off',
      'no-console': 'off',
    },
  },
  {
    files: ['**/*.ts'],
    // Each project's Jest config imports the shared preset at the root, which belongs to no project.
    ignores: ['**/jest.config.ts'],
    plugins: { '@nx': nx },
    rules: { '@nx/enforce-module-boundaries': ['error', { allow: [], depConstraints: RUNTIME_LAYERS }] },
  },
  {
    files: TEST_FILES,
    ignores: ['**/jest.config.ts'],
    // A lib's public-API test imports the lib by its alias, as its users do.
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        { allow: [], depConstraints: TEST_LAYERS, allowCircularSelfDependency: true },
      ],
    },
  },
  {
    // The pure domain loads no validation or Swagger code: of the contracts, only their enums-and-types
    // entry (libs/contracts/src/model.ts).
    files: ['libs/domain/src/**/*.ts'],
    ignores: TEST_FILES,
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            { name: '@upshift/contracts', message: "libs/domain imports '@upshift/contracts/model' only." },
            { name: 'class-validator', message: 'libs/domain loads no validation code.' },
            { name: 'class-transformer', message: 'libs/domain loads no validation code.' },
            { name: '@nestjs/swagger', message: 'libs/domain loads no Swagger code.' },
          ],
        },
      ],
    },
  },
  {
    // The broker's codecs mirror Kafka's message definitions, where bitwise work is the protocol.
    files: ['libs/kafka-broker/**/*.ts'],
    rules: { 'no-bitwise': 'off' },
  },
);
