/**
 * Signs release artifacts the way the registry verifies them (docs/signing.md).
 *
 *   node -r @swc-node/register scripts/sign-artifact.ts keygen --out <dir>
 *   node -r @swc-node/register scripts/sign-artifact.ts sign --key <private.pem> <artifact-file>
 *   node -r @swc-node/register scripts/sign-artifact.ts sign --key <private.pem> --sha256 <hex>
 *   node -r @swc-node/register scripts/sign-artifact.ts verify --pub <public.pem> --sha256 <hex> --signature <b64>
 *
 * `sign` prints JSON ready to paste into a version's `artifact`: {"sha256": …, "signature": …}.
 */
import { createHash } from 'crypto';
import { createReadStream, mkdirSync, readFileSync, writeFileSync } from 'fs';
import * as path from 'path';
import {
  findVerifyingKey,
  generateSigningKeyPair,
  parseEd25519PublicKey,
  SHA256_HEX_PATTERN,
  signArtifactDigest,
} from '../apps/registry/src/signing-keys/artifact-signature';

const USAGE = `usage:
  sign-artifact keygen --out <dir>                     writes <dir>/artifact-signing.key (private, 0600) and .pub
  sign-artifact sign --key <private.pem> <file>         hashes the file and signs its SHA-256 digest
  sign-artifact sign --key <private.pem> --sha256 <hex> signs a digest you already have
  sign-artifact verify --pub <public.pem> --sha256 <hex> --signature <base64>`;

function option(args: string[], name: string): string | undefined {
  const index = args.indexOf(name);
  if (index === -1) return undefined;
  const value = args[index + 1];
  if (value === undefined || value.startsWith('--')) throw new UsageError(`${name} needs a value`);
  args.splice(index, 2);
  return value;
}

class UsageError extends Error {}

function sha256OfFile(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(file)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

async function main(argv: string[]): Promise<void> {
  const [command, ...args] = argv;
  switch (command) {
    case 'keygen': {
      const out = option(args, '--out') ?? '.';
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
      const keyFile = option(args, '--key');
      if (keyFile === undefined) throw new UsageError('sign needs --key <private.pem>');
      let sha256 = option(args, '--sha256')?.toLowerCase();
      const file = args[0];
      if (sha256 === undefined) {
        if (file === undefined) throw new UsageError('sign needs an artifact file or --sha256 <hex>');
        sha256 = await sha256OfFile(file);
      }
      if (!SHA256_HEX_PATTERN.test(sha256)) throw new UsageError('--sha256 must be 64 hex characters');
      const signature = signArtifactDigest(sha256, readFileSync(keyFile, 'utf8'));
      console.log(JSON.stringify({ sha256, signature }, null, 2));
      return;
    }
    case 'verify': {
      const pub = option(args, '--pub');
      const sha256 = option(args, '--sha256')?.toLowerCase();
      const signature = option(args, '--signature');
      if (pub === undefined || sha256 === undefined || signature === undefined) {
        throw new UsageError('verify needs --pub, --sha256 and --signature');
      }
      const key = parseEd25519PublicKey(readFileSync(pub, 'utf8'));
      const ok = findVerifyingKey(sha256, signature, [{ publicKeyPem: key.pem }]) !== null;
      console.log(JSON.stringify({ valid: ok, fingerprint: key.fingerprint }));
      if (!ok) process.exitCode = 1;
      return;
    }
    default:
      throw new UsageError(command === undefined ? 'no command given' : `unknown command "${command}"`);
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error instanceof UsageError ? `${error.message}\n${USAGE}` : String(error));
  process.exitCode = 2;
});
