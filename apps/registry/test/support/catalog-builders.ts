import { createHash } from 'crypto';
import type TestAgent from 'supertest/lib/agent';
import { signArtifactDigest } from '@upshift/signing';
import { API } from './registry-test-app';

let counter = 0;

/** A fresh component name, so tests in one file never collide. */
export function uniqueName(prefix = 'component'): string {
  counter += 1;
  return `${prefix}-${counter}-${Math.random().toString(36).slice(2, 8)}`;
}

export function digestOf(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export interface VersionBody {
  id: string;
  componentId: string;
  version: string;
  status: string;
  signed: boolean;
  signingKeyId: string | null;
  [field: string]: unknown;
}

export async function createComponent(
  http: TestAgent,
  name = uniqueName(),
  kind = 'service',
): Promise<string> {
  const response = await http
    .post(`${API}/components`)
    .send({ name, kind, description: `${name} for tests` })
    .expect(201);
  return (response.body as { id: string }).id;
}

export interface VersionSpec {
  version: string;
  channel?: 'stable' | 'beta' | 'dev';
  mandatory?: boolean;
  downgradeAllowed?: boolean;
  breaking?: boolean;
  requiresMigration?: boolean;
  dependencies?: Record<string, string>;
  /** Key to sign the artifact digest with (PKCS#8 PEM); unsigned when absent. */
  signWith?: string;
  signature?: string | null;
}

export function versionRequest(spec: VersionSpec): Record<string, unknown> {
  const sha256 = digestOf(`artifact ${spec.version}`);
  const signature =
    spec.signature !== undefined
      ? spec.signature
      : spec.signWith
        ? signArtifactDigest(sha256, spec.signWith)
        : null;
  return {
    version: spec.version,
    channel: spec.channel ?? 'stable',
    releaseNotes: `Release ${spec.version}`,
    artifact: { url: `https://artifacts.example.com/x/${spec.version}.tar.gz`, sha256, signature },
    breaking: spec.breaking ?? false,
    requiresMigration: spec.requiresMigration ?? false,
    mandatory: spec.mandatory ?? false,
    downgradeAllowed: spec.downgradeAllowed ?? true,
    dependencies: spec.dependencies ?? {},
  };
}

export async function createVersion(
  http: TestAgent,
  componentId: string,
  spec: VersionSpec,
): Promise<VersionBody> {
  const response = await http
    .post(`${API}/components/${componentId}/versions`)
    .send(versionRequest(spec))
    .expect(201);
  return response.body as VersionBody;
}

type Status = 'draft' | 'published' | 'deprecated' | 'yanked';
export type ReleaseSpec = VersionSpec & { status?: Status };

/** Creates the version and moves it to `status` through the API. */
export async function releaseVersion(
  http: TestAgent,
  componentId: string,
  spec: ReleaseSpec,
): Promise<VersionBody> {
  let version = await createVersion(http, componentId, spec);
  const status = spec.status ?? 'published';
  const steps: Record<Status, string[]> = {
    draft: [],
    published: ['publish'],
    deprecated: ['publish', 'deprecate'],
    yanked: ['publish', 'yank'],
  };
  for (const action of steps[status]) {
    const response = await http
      .post(`${API}/components/${componentId}/versions/${version.id}/${action}`)
      .send({});
    if (response.status !== 200)
      throw new Error(`${action} ${spec.version}: ${response.status} ${JSON.stringify(response.body)}`);
    version = response.body as VersionBody;
  }
  return version;
}
