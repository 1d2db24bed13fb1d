// Runs several npm scripts at once and fails if any fails: `npm test`'s static checks (lint, format,
// types) are each single-threaded, so on a two-core machine side by side they take the time of the
// slowest instead of the sum.
import { spawn } from 'node:child_process';

const scripts = process.argv.slice(2);
if (scripts.length === 0) {
  console.error('usage: node scripts/run-in-parallel.mjs <npm script> [<npm script> ...]');
  process.exit(2);
}

const runs = scripts.map(
  (name) =>
    new Promise((resolve) => {
      const child = spawn('npm', ['run', '--silent', name], { stdio: 'inherit' });
      child.on('exit', (code, signal) => resolve({ name, code: code ?? (signal ? 1 : 0) }));
      child.on('error', (error) => {
        console.error(`${name}: ${error.message}`);
        resolve({ name, code: 1 });
      });
    }),
);

const failed = (await Promise.all(runs)).filter((run) => run.code !== 0);
for (const run of failed) console.error(`npm run ${run.name} failed (exit ${run.code})`);
process.exit(failed.length === 0 ? 0 : 1);
