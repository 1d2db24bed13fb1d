/**
 * `npm run build:dashboard`: the dashboard's static assets, built with Vite's JS API into
 * `DASHBOARD_DIR` (default `dist/dashboard`, git-ignored), where the orchestrator serves them at `/`
 * (docs/adr/0089-dashboard-served-by-the-orchestrator.md). Run as its own process (by the script, and
 * by libs/stack when the assets are missing): Vite is an ES module that Jest's module system cannot load.
 */
import { resolve } from 'path';
import { build } from 'vite';

const REPO_ROOT = resolve(__dirname, '..', '..');

export async function buildDashboard(outDir: string): Promise<void> {
  await build({
    configFile: false,
    root: __dirname,
    base: '/',
    logLevel: 'warn',
    // Whatever NODE_ENV says (Jest sets `test`): a development build would carry source paths in every element.
    mode: 'production',
    // Preact's JSX runtime (the dashboard's tsconfig says the same for the type checker).
    oxc: { jsx: { runtime: 'automatic', importSource: 'preact', development: false } },
    build: {
      outDir,
      emptyOutDir: true,
      // The orchestrator serves /assets/* as immutable: every file name carries its content hash.
      assetsDir: 'assets',
      target: 'es2022',
      sourcemap: false,
    },
  });
}

if (require.main === module) {
  const outDir = resolve(REPO_ROOT, process.env['DASHBOARD_DIR'] ?? 'dist/dashboard');
  buildDashboard(outDir)
    .then(() => console.log(`dashboard built into ${outDir}`))
    .catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
}
