/**
 * Signs release artifacts the way the registry verifies them (docs/signing.md).
 *
 *   npm run sign-artifact -- keygen --out <dir>
 *   npm run sign-artifact -- sign --key <private.pem> <artifact-file>
 *   npm run sign-artifact -- sign --key <private.pem> --sha256 <hex>
 *   npm run sign-artifact -- verify --pub <public.pem> --sha256 <hex> --signature <b64>
 *
 * `sign` prints JSON ready to paste into a version's `artifact`: {"sha256": …, "signature": …}.
 */
import { createHash } from 'crypto';
import { createReadStream, mkdirSync, readFileSync, writeFileSync } from 'fs';
import * as path from 'path';
import { CliUsageError, defineCli, exitWithUsageError, runCli, type CliValues } from '@upshift/cli';
import {
  findVerifyingKey,
  generateSigningKeyPair,
  parseEd25519PublicKey,
  SHA256_HEX_PATTERN,
  signArtifactDigest,
} from '@upshift/signing';

const SIGN_ARTIFACT_CLI = defineCli({
  command: 'npm run sign-artifact --',
  summary: `Signs release artifacts the way the registry verifies them (docs/signing.md).

  keygen --out DIR                     writes DIR/artifact-signing.key (private, 0600) and .pub
  sign --key PRIVATE.pem FILE          hashes the file and signs its SHA-256 digest
  sign --key PRIVATE.pem --sha256 HEX  signs a digest you already have
  verify --pub PUBLIC.pem --sha256 HEX --signature BASE64

sign prints JSON ready to paste into a version's artifact: {"sha256": …, "signature": …}.`,
  options: {
    out: { type: 'string', placeholder: 'DIR', description: 'keygen: where to write the pair (default .)' },
    key: { type: 'string', placeholder: 'FILE', description: 'sign: the private key (PEM)' },
    sha256: {
      type: 'string',
      placeholder: 'HEX',
      description: 'sign, verify: the digest (64 hex characters)',
    },
    pub: { type: 'string', placeholder: 'FILE', description: 'verify: the public key (PEM)' },
    signature: { type: 'string', placeholder: 'BASE64', description: 'verify: the signature' },
  },
  positionals: { usage: '<keygen|sign|verify> [FILE]', max: 2 },
});
type SignArtifactOptions = CliValues<typeof SIGN_ARTIFACT_CLI.options>;

/** The flags each command reads; any other one given is refused rather than silently ignored. */
const FLAGS_OF: Record<string, readonly string[]> = {
  keygen: ['out'],
  sign: ['key', 'sha256'],
  verify: ['pub', 'sha256', 'signature'],
};

function checkUsage(
  command: string | undefined,
  file: string | undefined,
  options: SignArtifactOptions,
): void {
  const allowed = command === undefined ? undefined : FLAGS_OF[command];
  if (command === undefined || allowed === undefined)
    throw new CliUsageError(command === undefined ? 'no command given' : `unknown command "${command}"`);
  for (const [name, value] of Object.entries(options)) {
    if (value !== undefined && !allowed.includes(name))
      throw new CliUsageError(`--${name} does not apply to ${command}`);
  }
  if (file !== undefined && command !== 'sign') throw new CliUsageError(`unexpected argument "${file}"`);
}

function sha256OfFile(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(file)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

async function main(
  command: string | undefined,
  file: string | undefined,
  options: SignArtifactOptions,
): Promise<void> {
  checkUsage(command, file, options);
  switch (command) {
    case 'keygen': {
      const out = options.out ?? '.';
      mkdirSync(out, { recursive: true });
      const pair = generateSigningKeyPair();
      const privatePath = path.join(out, 'artifact-signing.key');
      const publicPath = path.join(out, 'artifact-signing.pub');
      writeFileSync(privatePath, pair.privateKeyPem, { mode: 0o600, flag: 'wx' });
      writeFileSync(publicPath, pair.publicKeyPem, { flag: 'wx' });
      const { fingerprint } = parseEd25519PublicKey(pair.publicKeyPem);
      console.log(JSON.stringify({ privateKey: privatePath, publicKey: publicPath, fingerprint }, null, 2));
      return;
    }
    case 'sign': {
      if (options.key === undefined) throw new CliUsageError('sign needs --key <private.pem>');
      if (options.sha256 !== undefined && file !== undefined)
        throw new CliUsageError('sign takes an artifact file or --sha256, not both');
      let sha256 = options.sha256?.toLowerCase();
      if (sha256 === undefined) {
        if (file === undefined) throw new CliUsageError('sign needs an artifact file or --sha256 <hex>');
        sha256 = await sha256OfFile(file);
      }
      if (!SHA256_HEX_PATTERN.test(sha256)) throw new CliUsageError('--sha256 must be 64 hex characters');
      const signature = signArtifactDigest(sha256, readFileSync(options.key, 'utf8'));
      console.log(JSON.stringify({ sha256, signature }, null, 2));
      return;
    }
    case 'verify': {
      const { pub, signature } = options;
      const sha256 = options.sha256?.toLowerCase();
      if (pub === undefined || sha256 === undefined || signature === undefined)
        throw new CliUsageError('verify needs --pub, --sha256 and --signature');
      const key = parseEd25519PublicKey(readFileSync(pub, 'utf8'));
      const ok = findVerifyingKey(sha256, signature, [{ publicKeyPem: key.pem }]) !== null;
      console.log(JSON.stringify({ valid: ok, fingerprint: key.fingerprint }));
      if (!ok) process.exitCode = 1;
      return;
    }
  }
}

const { values, positionals } = runCli(SIGN_ARTIFACT_CLI);
main(positionals[0], positionals[1], values).catch((error: unknown) => {
  if (error instanceof CliUsageError) exitWithUsageError(SIGN_ARTIFACT_CLI, error);
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
});
