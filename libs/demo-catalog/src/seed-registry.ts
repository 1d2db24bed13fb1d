import { VersionStatus, type VersionAction } from '@upshift/contracts';
import { createHash } from 'crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'fs';
import * as path from 'path';
import { generateSigningKeyPair, signArtifactDigest, SigningKeyPair } from '@upshift/signing';
import { DEMO_CATALOG, SeedComponent, SeedVersion } from './demo-catalog';
import { SeededVersionCheck, seedInconsistencies } from './seed-consistency';

export interface SeedRegistryOptions {
  /** Base URL of a running registry, e.g. http://127.0.0.1:8085. */
  registryUrl: string;
  /** A bearer token with the admin role (catalog writes and signing keys need it). */
  token: string;
  catalog?: readonly SeedComponent[];
  /** The key that signs the artifacts; default: loaded from (or generated into) `keyFile`. */
  signingKey?: SigningKeyPair;
  /** Where the generated private key is kept, so that re-runs sign with the same key. */
  keyFile?: string;
  /** Prefix of the synthetic artifact URLs. */
  artifactBaseUrl?: string;
  log?: (line: string) => void;
}

export interface SeededVersion {
  id: string;
  version: string;
  status: VersionStatus;
  signed: boolean;
}

export interface SeededComponent {
  id: string;
  name: string;
  versions: Record<string, SeededVersion>;
}

export interface SeedResult {
  components: Record<string, SeededComponent>;
  /** SPKI PEM of the key registered for the signed components. */
  publicKeyPem: string;
  created: { components: number; versions: number; transitions: number };
  /**
   * Why agents or the orchestrator would refuse versions the registry already held (another fleet
   * address, other artifact bytes, a signature no registered key verifies); empty when consistent.
   */
  inconsistencies: string[];
}

export const DEFAULT_SEED_KEY_FILE = path.join('.data', 'registry-seed', 'artifact-signing.key');

/**
 * Loads a catalog into a running registry through its public HTTP API, as an operator would. Safe to
 * re-run: existing components and versions (409) are reused, and each version is only moved forward
 * to the status the catalog wants.
 */
export async function seedRegistry(options: SeedRegistryOptions): Promise<SeedResult> {
  const api = new RegistryApi(options.registryUrl, options.token);
  const log = options.log ?? (() => undefined);
  const catalog = options.catalog ?? DEMO_CATALOG;
  const key = options.signingKey ?? loadOrCreateKey(options.keyFile ?? DEFAULT_SEED_KEY_FILE, log);
  const artifactBase = options.artifactBaseUrl ?? 'https://artifacts.example.com';
  const result: SeedResult = {
    components: {},
    publicKeyPem: key.publicKeyPem,
    created: { components: 0, versions: 0, transitions: 0 },
    inconsistencies: [],
  };

  for (const component of catalog) {
    const created = await api.createOrFind<{ id: string }>('/components', {
      name: component.name,
      kind: component.kind,
      description: component.description,
    });
    if (created.created) result.created.components += 1;
    const componentId = created.body.id;
    const keyAdded = component.signed
      ? (await api.createOrFind(`/components/${componentId}/signing-keys`, { publicKey: key.publicKeyPem }))
          .created
      : false;
    const seeded: SeededComponent = { id: componentId, name: component.name, versions: {} };
    const checks: SeededVersionCheck[] = [];
    for (const version of component.versions) {
      const sha256 = syntheticDigest(component.name, version.version);
      const url = `${artifactBase}/${component.name}/${version.version}/${component.name}-${version.version}.tar.gz`;
      const signature = component.signed ? signArtifactDigest(sha256, key.privateKeyPem) : null;
      const draft = await api.createOrFind<VersionBody>(`/components/${componentId}/versions`, {
        version: version.version,
        channel: version.channel,
        releaseNotes: version.releaseNotes,
        artifact: { url, sha256, signature },
        breaking: version.breaking ?? false,
        requiresMigration: version.requiresMigration ?? false,
        mandatory: version.mandatory ?? false,
        downgradeAllowed: version.downgradeAllowed ?? true,
        dependencies: version.dependencies ?? {},
        supportedUntil: version.supportedUntil ?? null,
      });
      if (draft.created) result.created.versions += 1;
      let current = draft.body;
      for (const action of actionsToReach(current.status, version)) {
        const body: Record<string, unknown> =
          action === 'publish' && signature !== null
            ? { signature }
            : action === 'yank'
              ? { reason: version.yankReason ?? null }
              : {};
        current = await api.post<VersionBody>(
          `/components/${componentId}/versions/${current.id}/${action}`,
          body,
        );
        result.created.transitions += 1;
      }
      seeded.versions[version.version] = {
        id: current.id,
        version: current.version,
        status: current.status,
        signed: current.signed,
      };
      if (!draft.created)
        checks.push({ version: version.version, expected: { url, sha256 }, found: current });
    }
    result.components[component.name] = seeded;
    // A database seeded before (maybe by another checkout, with another key): check that what is there
    // still works with this stack. Agents trust every key registered for the component (ADR 0073).
    const registeredKeys = component.signed
      ? (await api.get<{ publicKey: string }[]>(`/components/${componentId}/signing-keys`)).map(
          (k) => k.publicKey,
        )
      : [];
    if (keyAdded && registeredKeys.length > 1) {
      log(
        `${component.name}: registered this checkout's signing key beside ${registeredKeys.length - 1} other key(s); ` +
          'versions signed by those keep verifying, since agents trust every registered key',
      );
    }
    result.inconsistencies.push(...seedInconsistencies(component, checks, registeredKeys));
    log(
      `${component.name}: ${component.versions.length} versions${component.signed ? ', signed' : ', unsigned'}`,
    );
  }
  return result;
}

interface VersionBody {
  id: string;
  version: string;
  status: VersionStatus;
  artifact: { url: string; sha256: string; signature: string | null };
  signed: boolean;
  signingKeyId: string | null;
}

const STATUS_ORDER = [
  VersionStatus.DRAFT,
  VersionStatus.PUBLISHED,
  VersionStatus.DEPRECATED,
  VersionStatus.YANKED,
];

/** The operations that move a version from `current` to the catalog's status (none if already there or past it). */
function actionsToReach(current: VersionStatus, version: SeedVersion): VersionAction[] {
  const actions: VersionAction[] = [];
  const from = STATUS_ORDER.indexOf(current);
  const to = STATUS_ORDER.indexOf(version.status);
  if (from < 1 && to >= 1) actions.push('publish');
  if (from < 2 && to === 2) actions.push('deprecate');
  if (from < 3 && to === 3) actions.push('yank');
  return actions;
}

/**
 * The demo has no real tarballs: each "artifact" is a fixed text whose SHA-256 is the digest. The
 * simulated fleet (apps/fleet-sim) serves exactly these bytes under `artifactBaseUrl`, so agents verify
 * digest and signature for real; keep the two in step.
 */
function syntheticDigest(component: string, version: string): string {
  return createHash('sha256').update(`upshift demo artifact ${component}@${version}`).digest('hex');
}

function loadOrCreateKey(keyFile: string, log: (line: string) => void): SigningKeyPair {
  if (existsSync(keyFile)) {
    const privateKeyPem = readFileSync(keyFile, 'utf8');
    const publicKeyPem = readFileSync(`${keyFile}.pub`, 'utf8');
    return { privateKeyPem, publicKeyPem };
  }
  const pair = generateSigningKeyPair();
  mkdirSync(path.dirname(keyFile), { recursive: true });
  writeFileSync(keyFile, pair.privateKeyPem, { mode: 0o600 });
  writeFileSync(`${keyFile}.pub`, pair.publicKeyPem);
  log(`generated a signing key: ${keyFile} (+ .pub)`);
  return pair;
}

/** The few calls the seed makes; every non-2xx answer fails with the registry's problem detail. */
class RegistryApi {
  private readonly base: string;

  constructor(
    registryUrl: string,
    private readonly token: string,
  ) {
    this.base = `${registryUrl.replace(/\/$/, '')}/api/v1/registry`;
  }

  async get<T>(route: string): Promise<T> {
    const response = await fetch(`${this.base}${route}`, {
      headers: { authorization: `Bearer ${this.token}` },
    });
    if (!response.ok) throw new Error(`GET ${route} answered ${response.status}`);
    return (await response.json()) as T;
  }

  async post<T>(route: string, body: unknown): Promise<T> {
    const { status, json } = await this.send(route, body);
    if (status >= 300) throw new Error(`POST ${route} answered ${status}: ${describe(json)}`);
    return json as T;
  }

  /** POST; a 409 with `existingId` means "already there": fetch and return it instead. */
  async createOrFind<T extends { id: string }>(
    route: string,
    body: unknown,
  ): Promise<{ body: T; created: boolean }> {
    const { status, json } = await this.send(route, body);
    if (status < 300) return { body: json as T, created: true };
    const existingId = (json as { existingId?: unknown } | null)?.existingId;
    if (status === 409 && typeof existingId === 'string') {
      if (route.endsWith('/signing-keys')) return { body: { id: existingId } as T, created: false };
      return { body: await this.get<T>(`${route}/${existingId}`), created: false };
    }
    throw new Error(`POST ${route} answered ${status}: ${describe(json)}`);
  }

  private async send(route: string, body: unknown): Promise<{ status: number; json: unknown }> {
    let response: Response;
    try {
      response = await fetch(`${this.base}${route}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${this.token}` },
        body: JSON.stringify(body),
      });
    } catch (error) {
      throw new Error(
        `the registry is not reachable at ${this.base} (${(error as Error).message}); start it with npm run start:registry`,
      );
    }
    const text = await response.text();
    return { status: response.status, json: text === '' ? null : (JSON.parse(text) as unknown) };
  }
}

function describe(json: unknown): string {
  if (json !== null && typeof json === 'object' && 'detail' in json) {
    const problem = json as { detail: unknown; errors?: unknown };
    return `${String(problem.detail)}${problem.errors ? ` ${JSON.stringify(problem.errors)}` : ''}`;
  }
  return JSON.stringify(json);
}
