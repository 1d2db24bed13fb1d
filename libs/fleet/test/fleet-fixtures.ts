import { createHash, generateKeyPairSync, randomBytes, sign } from 'crypto';
import { randomUUID } from 'crypto';
import { masterKeyring, signAgentRequest } from '@upshift/contracts';
import type { ArtifactSource } from '../src';

/** The master key of this test file's fleets and of the requests `call` signs (ADR 0071). */
export const testAgentKeys = masterKeyring(randomBytes(32));
export const TEST_TENANT = 'fleet-test-tenant';

export interface TestArtifact {
  url: string;
  bytes: Buffer;
  sha256: string;
}

export function testArtifact(version: string): TestArtifact {
  const bytes = Buffer.from(`upshift test artifact ${version}\n`.repeat(64));
  return {
    url: `http://artifacts.test/component/${version}.tar.gz`,
    bytes,
    sha256: createHash('sha256').update(bytes).digest('hex'),
  };
}

/** Serves the given artifacts from memory; anything else is unreachable (a transient error). */
export function memoryArtifactSource(artifacts: readonly TestArtifact[]): ArtifactSource {
  const byUrl = new Map(artifacts.map((a) => [a.url, a.bytes]));
  return async (url) => {
    const bytes = byUrl.get(url);
    if (!bytes) throw new Error(`no artifact at ${url}`);
    return bytes;
  };
}

export function signingKeyPair(): { publicKeyBase64: string; signBase64(bytes: Buffer): string } {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const der = publicKey.export({ format: 'der', type: 'spki' });
  return {
    publicKeyBase64: der.subarray(der.length - 32).toString('base64'),
    signBase64: (bytes) => sign(null, bytes, privateKey).toString('base64'),
  };
}

/** One request to the fleet; agent paths are signed for TEST_TENANT as a worker would sign them. */
export async function call(
  baseUrl: string,
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  path: string,
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const text = body === undefined ? undefined : JSON.stringify(body);
  const signature = path.includes('/agent/')
    ? signAgentRequest(testAgentKeys, TEST_TENANT, { method, pathAndQuery: path, body: text })
    : {};
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { ...signature, ...(text === undefined ? {} : { 'content-type': 'application/json' }) },
    body: text,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

export const newCommandId = (): string => randomUUID();
