/**
 * `npm run token -- --sub alice --tenants 550e8400 --roles operator --ttl 1h`: mints a bearer token
 * signed with AUTH_JWT_SECRET (the services' HS256 secret; read from the environment only, never a
 * flag, since a process's arguments are visible to every local user). Prints the token alone, so that
 * `TOKEN=$(npm run -s token -- …)` works. With an OIDC provider, get tokens from the provider instead.
 */
import { isRole, mintToken, parseDuration } from '@upshift/http';
import type { Role } from '@upshift/http';
import { CliUsageError, defineCli, exitWithUsageError, runCli } from '@upshift/cli';

const TOKEN_CLI = defineCli({
  command: 'npm run token --',
  summary:
    'Mints a bearer token for the REST APIs, signed with AUTH_JWT_SECRET (AUTH_ISSUER and AUTH_AUDIENCE are set as iss and aud when present).',
  options: {
    sub: {
      type: 'string',
      description: 'who acts (the sub claim), e.g. alice@example.com',
      placeholder: 'NAME',
    },
    tenants: {
      type: 'string',
      default: '*',
      description: 'comma-separated tenant ids the token may see and change; * for all',
      placeholder: 'IDS',
    },
    roles: {
      type: 'string',
      default: 'viewer',
      description: 'comma-separated roles: viewer, operator, admin',
      placeholder: 'ROLES',
    },
    ttl: {
      type: 'string',
      default: '1h',
      description: 'lifetime: 90s, 15m, 1h, 7d',
      placeholder: 'DURATION',
    },
  },
});

async function main(): Promise<void> {
  const { values } = runCli(TOKEN_CLI);
  const usage = (message: string) => exitWithUsageError(TOKEN_CLI, new CliUsageError(message));
  if (!values.sub) usage('--sub is required (who the token acts as)');
  const tenants = values.tenants
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '');
  if (tenants.length === 0) usage('--tenants needs at least one tenant id, or *');
  const roles = values.roles.split(',').map((r) => r.trim());
  const unknown = roles.filter((r) => !isRole(r));
  if (unknown.length > 0) usage(`--roles must name viewer, operator or admin, got "${unknown.join(', ')}"`);
  const ttlSeconds = parseDuration(values.ttl);
  if (ttlSeconds === null) usage(`--ttl must be a duration such as 90s, 15m, 1h or 7d, got "${values.ttl}"`);
  const secret = process.env['AUTH_JWT_SECRET'] ?? '';
  if (Buffer.byteLength(secret) < 32) {
    process.stderr.write("AUTH_JWT_SECRET must be set to the services' secret (at least 32 bytes)\n");
    process.exit(2);
  }
  const token = await mintToken({
    secret,
    sub: values.sub as string,
    tenants,
    roles: roles as Role[],
    ttlSeconds: ttlSeconds as number,
    issuer: process.env['AUTH_ISSUER'] || undefined,
    audience: process.env['AUTH_AUDIENCE'] || undefined,
  });
  process.stdout.write(`${token}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
