import { execFile } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { promisify } from 'util';
import { Parser } from '@asyncapi/parser';
import { MESSAGE_CATALOG, Topics } from '../src';

const CONTRACTS_DIR = path.resolve(__dirname, '..');
const REPO_ROOT = path.resolve(CONTRACTS_DIR, '..', '..');
const read = (file: string) => fs.readFileSync(path.join(CONTRACTS_DIR, file), 'utf8');

describe('generated contract artifacts', () => {
  it('are committed exactly as `npm run schemas:generate` renders them', async () => {
    const run = promisify(execFile);
    const outcome = await run(
      process.execPath,
      ['-r', '@swc-node/register', 'libs/contracts/scripts/generate-schemas.ts', '--check'],
      { cwd: REPO_ROOT, timeout: 120_000 },
    ).then(
      ({ stdout }) => ({ ok: true, stdout }),
      (error: { stdout?: string; stderr?: string }) => ({
        ok: false,
        stdout: `${error.stdout}\n${error.stderr}`,
      }),
    );
    expect(outcome).toEqual({ ok: true, stdout: expect.stringContaining('"stale":[],"extra":[]') });
  }, 120_000);

  it('include an AsyncAPI 3.0 document that @asyncapi/parser accepts without errors', async () => {
    const { document, diagnostics } = await new Parser().parse(read('asyncapi.yaml'));
    // Severity 0 is an error; 1–3 are warnings, information and hints.
    const errors = diagnostics
      .filter((d) => d.severity === 0)
      .map((d) => `${d.path.join('.')}: ${d.message}`);
    expect(errors).toEqual([]);
    expect(document?.version()).toBe('3.0.0');
    const channels = document?.channels().all() ?? [];
    expect(channels.map((c) => c.address()).sort()).toEqual(Object.values(Topics).sort());
    const messageNames = channels.flatMap((c) =>
      c
        .messages()
        .all()
        .map((m) => m.name()),
    );
    expect(messageNames.sort()).toEqual(MESSAGE_CATALOG.map((m) => m.name).sort());
  });

  it('writes one JSON Schema per payload and per wire message', () => {
    for (const message of MESSAGE_CATALOG) {
      const data = JSON.parse(read(`schemas/data/${message.name}.json`)) as Record<string, unknown>;
      expect(data).toMatchObject({ $schema: 'http://json-schema.org/draft-07/schema#', type: 'object' });
      const wire = JSON.parse(read(`schemas/messages/${message.name}.json`)) as { required: string[] };
      expect(wire.required).toEqual(
        expect.arrayContaining(['specversion', 'id', 'tenantid', 'sequence', 'data']),
      );
    }
  });
});
