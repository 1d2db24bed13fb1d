import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { UsageError } from './errors';

export const DEFAULT_URL = 'http://127.0.0.1:8084';

/** Where the orchestrator is and who the CLI is: one base URL for both services (ADR 0045). */
export interface Connection {
  url: string;
  token: string | null;
}

/** `~/.config/upshift/config.json` (or under `$XDG_CONFIG_HOME`): `{ "url": "…", "token": "…" }`. */
export function profilePath(env: NodeJS.ProcessEnv): string {
  const base = env['XDG_CONFIG_HOME'] || path.join(env['HOME'] || os.homedir(), '.config');
  return path.join(base, 'upshift', 'config.json');
}

function readProfile(file: string): Partial<Connection> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return {};
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UsageError(file, `not JSON (${(error as Error).message})`);
  }
  if (value === null || typeof value !== 'object') throw new UsageError(file, 'must hold a JSON object');
  const { url, token } = value as Record<string, unknown>;
  return {
    url: typeof url === 'string' ? url : undefined,
    token: typeof token === 'string' ? token : undefined,
  };
}

/** Flags first, then UPSHIFT_URL / UPSHIFT_TOKEN, then the profile file, then the local stack's URL. */
export function resolveConnection(
  flags: { url?: string; token?: string },
  env: NodeJS.ProcessEnv,
): Connection {
  const profile = readProfile(profilePath(env));
  const url = flags.url || env['UPSHIFT_URL'] || profile.url || DEFAULT_URL;
  try {
    new URL(url);
  } catch {
    throw new UsageError('--url', `${JSON.stringify(url)} is not a URL`);
  }
  return {
    url: url.replace(/\/+$/, ''),
    token: flags.token || env['UPSHIFT_TOKEN'] || profile.token || null,
  };
}

/**
 * The tenants a token names, read without verifying it (the server verifies): the CLI's default
 * `--tenant` when there is exactly one.
 */
export function tokenTenants(token: string | null): string[] {
  const payload = token?.split('.')[1];
  if (!payload) return [];
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { tenants?: unknown };
    return Array.isArray(claims.tenants)
      ? claims.tenants.filter((t): t is string => typeof t === 'string')
      : [];
  } catch {
    return [];
  }
}
