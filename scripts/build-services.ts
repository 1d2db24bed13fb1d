/**
 * `npm run build:services`: compiles every service's TypeScript to CommonJS under dist/ (git-ignored),
 * for images that run `node` on JavaScript with production dependencies only
 * (docs/adr/0087-container-images-and-compose.md).
 *
 * It compiles with SWC, the compiler `node -r @swc-node/register` already runs in development, with the
 * same settings (legacy decorators with decorator metadata for NestJS, TypeORM and class-validator;
 * class fields assigned, not defined), so that a compiled service behaves as the one `npm run up`
 * starts. Starting from each entry point it follows the `require`s SWC leaves (type-only imports are
 * gone by then) and compiles exactly the files a service loads, each to the same path under dist/,
 * rewriting the tsconfig path aliases (`@upshift/…`) to relative paths. It fails, naming the file,
 * when a service loads a package that is not a production dependency (the images install only those),
 * or an alias or file it cannot resolve.
 */
import { transformFileSync, type Options } from '@swc/core';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'fs';
import { builtinModules } from 'module';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..');
const OUT_DIR = path.join(ROOT, 'dist');

/** What the images run: each service's main, its migrations command, and the tools beside them. */
const ENTRY_POINTS = [
  'apps/orchestrator/src/main.ts',
  'apps/orchestrator/src/database/migrate.ts',
  'apps/registry/src/main.ts',
  'apps/registry/src/database/migrate.ts',
  'apps/registry/src/seed/run-seed.ts',
  'apps/worker/src/main.ts',
  'apps/fleet-sim/src/main.ts',
  'apps/cli/src/main.ts',
  'libs/kafka-broker/src/cli.ts',
  'scripts/token.ts',
  'scripts/sign-artifact.ts',
];

/** Executables written beside the compiled code: `upshift` (the CLI) calls the compiled main(). */
const BINS: Record<string, string> = {
  'apps/cli/bin/upshift.js': '../src/main.js',
};

const SWC_OPTIONS: Options = {
  swcrc: false,
  sourceMaps: true,
  jsc: {
    target: 'es2022',
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
    keepClassNames: true,
  },
  module: { type: 'commonjs', noInterop: false },
};

interface TsConfig {
  compilerOptions: { baseUrl?: string; paths?: Record<string, string[]> };
}

function pathAliases(): Map<string, string> {
  const config = JSON.parse(readFileSync(path.join(ROOT, 'tsconfig.base.json'), 'utf8')) as TsConfig;
  const baseUrl = path.join(ROOT, config.compilerOptions.baseUrl ?? '.');
  const aliases = new Map<string, string>();
  for (const [alias, targets] of Object.entries(config.compilerOptions.paths ?? {})) {
    const target = targets[0];
    if (target === undefined || alias.includes('*'))
      throw new Error(`tsconfig path ${alias}: expected one exact target`);
    aliases.set(alias, path.join(baseUrl, target));
  }
  return aliases;
}

function productionDependencies(): Set<string> {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
  };
  return new Set(Object.keys(pkg.dependencies ?? {}));
}

/** `lodash/fp` → `lodash`, `@nestjs/core/x` → `@nestjs/core`. */
function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
}

function resolveSource(base: string): string | undefined {
  for (const candidate of [base, `${base}.ts`, path.join(base, 'index.ts')])
    if (candidate.endsWith('.ts') && existsSync(candidate)) return candidate;
  return undefined;
}

/** The path of `target` (a .ts source) as a require from `from` (a .ts source), both moved to .js. */
function relativeRequire(from: string, target: string): string {
  const relative = path
    .relative(path.dirname(from), target)
    .replace(/\.ts$/, '.js')
    .split(path.sep)
    .join('/');
  return relative.startsWith('.') ? relative : `./${relative}`;
}

const REQUIRE = /\brequire\("([^"]+)"\)/g;

export interface BuildResult {
  files: number;
  packages: string[];
}

export function buildServices(): BuildResult {
  const aliases = pathAliases();
  const dependencies = productionDependencies();
  const builtins = new Set(builtinModules);
  const packages = new Set<string>();
  const queue = ENTRY_POINTS.map((entry) => path.join(ROOT, entry));
  const seen = new Set<string>(queue);
  const problems: string[] = [];

  // Only what an earlier build of these entry points wrote: the dashboard's build also writes under dist/.
  for (const dir of new Set(
    ENTRY_POINTS.map((entry) =>
      entry
        .split('/')
        .slice(0, entry.startsWith('apps/') ? 2 : 1)
        .join('/'),
    ),
  ))
    rmSync(path.join(OUT_DIR, dir), { recursive: true, force: true, maxRetries: 3 });
  for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
    const source = path.relative(ROOT, file);
    const output = transformFileSync(file, { ...SWC_OPTIONS, filename: file, sourceFileName: source });
    const code = output.code.replace(REQUIRE, (whole, specifier: string) => {
      let target: string | undefined;
      if (specifier.startsWith('.')) {
        target = resolveSource(path.resolve(path.dirname(file), specifier));
        if (target === undefined) problems.push(`${source}: cannot resolve ${specifier}`);
      } else if (aliases.has(specifier)) {
        target = aliases.get(specifier);
      } else if (specifier.startsWith('@upshift/')) {
        problems.push(`${source}: ${specifier} is not a path in tsconfig.base.json`);
      } else if (!specifier.startsWith('node:') && !builtins.has(packageName(specifier))) {
        const name = packageName(specifier);
        if (!dependencies.has(name))
          problems.push(`${source}: loads ${name}, which is not in package.json "dependencies"`);
        packages.add(name);
      }
      if (target === undefined) return whole;
      if (!seen.has(target)) {
        seen.add(target);
        queue.push(target);
      }
      return `require("${relativeRequire(file, target)}")`;
    });
    const out = path.join(OUT_DIR, source.replace(/\.ts$/, '.js'));
    mkdirSync(path.dirname(out), { recursive: true });
    writeFileSync(out, `${code}\n//# sourceMappingURL=${path.basename(out)}.map\n`);
    if (output.map) writeFileSync(`${out}.map`, output.map);
  }
  if (problems.length > 0) throw new Error(`build:services failed:\n  ${problems.join('\n  ')}`);

  for (const [bin, main] of Object.entries(BINS)) {
    const out = path.join(OUT_DIR, bin);
    mkdirSync(path.dirname(out), { recursive: true });
    writeFileSync(out, `#!/usr/bin/env node\n'use strict';\nrequire(${JSON.stringify(main)}).main();\n`);
    chmodSync(out, 0o755);
  }
  return { files: seen.size, packages: [...packages].sort() };
}

if (require.main === module) {
  const started = Date.now();
  try {
    const result = buildServices();
    console.log(
      `build:services: ${result.files} files → ${path.relative(process.cwd(), OUT_DIR) || '.'}/ in ` +
        `${((Date.now() - started) / 1000).toFixed(1)} s; packages loaded: ${result.packages.join(', ')}`,
    );
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exitCode = 1;
  }
}
