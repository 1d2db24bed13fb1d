import * as fs from 'fs';
import * as path from 'path';
import { CONTRACTS_DIR, renderContractArtifacts } from './contract-artifacts';

/**
 * `npm run schemas:generate`: rewrites schemas/, asyncapi.yaml and docs/agent-protocol.openapi.yaml from
 * the TypeBox sources.
 * With `--check` it writes nothing and exits 1 listing the files that differ (the freshness test runs
 * this in a child process, because Prettier 3 loads its plugins with dynamic import, which Jest's VM
 * does not support).
 */
function listFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? listFiles(full) : [full];
  });
}

async function main(): Promise<void> {
  const files = await renderContractArtifacts();
  const schemasDir = path.join(CONTRACTS_DIR, 'schemas');

  if (process.argv.includes('--check')) {
    const stale = [...files]
      .filter(([file, content]) => {
        const onDisk = path.join(CONTRACTS_DIR, file);
        return !fs.existsSync(onDisk) || fs.readFileSync(onDisk, 'utf8') !== content;
      })
      .map(([file]) => file);
    const extra = listFiles(schemasDir)
      .map((file) => path.relative(CONTRACTS_DIR, file))
      .filter((file) => !files.has(file));
    console.log(JSON.stringify({ msg: 'contract artifacts checked', files: files.size, stale, extra }));
    if (stale.length > 0 || extra.length > 0) {
      console.error(
        'generated contract files are out of date: run `npm run schemas:generate` and commit them',
      );
      process.exitCode = 1;
    }
    return;
  }

  // Start from an empty schemas/ so that a schema removed from the code disappears from disk too.
  fs.rmSync(schemasDir, { recursive: true, force: true });
  for (const [file, content] of files) {
    const target = path.join(CONTRACTS_DIR, file);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, content);
  }
  console.log(JSON.stringify({ msg: 'contract artifacts generated', files: files.size, dir: CONTRACTS_DIR }));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
