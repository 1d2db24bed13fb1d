/**
 * Lints snippets with the repository's ESLint configuration, as `npx eslint` would: reads
 * `[{ file, source }]` (JSON, file relative to the repository) on stdin and prints each snippet's
 * messages (JSON). A process of its own because the configuration is an ES module, which ESLint loads
 * with a dynamic import that Jest's module sandbox does not run.
 */
import { ESLint } from 'eslint';
import * as path from 'path';

export interface Snippet {
  file: string;
  source: string;
}

export interface LintMessage {
  ruleId: string | null;
  message: string;
}

async function main(): Promise<void> {
  const root = path.join(__dirname, '..', '..', '..', '..');
  let input = '';
  for await (const chunk of process.stdin) input += String(chunk);
  const snippets = JSON.parse(input) as Snippet[];
  const eslint = new ESLint({ cwd: root });
  const results: LintMessage[][] = [];
  for (const { file, source } of snippets) {
    const [result] = await eslint.lintText(source, { filePath: path.join(root, file) });
    results.push((result?.messages ?? []).map(({ ruleId, message }) => ({ ruleId, message })));
  }
  process.stdout.write(JSON.stringify(results));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
