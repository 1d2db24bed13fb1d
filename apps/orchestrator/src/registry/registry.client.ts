import { HttpStatus, Inject, Injectable, Logger } from '@nestjs/common';
import { ORCHESTRATOR_CONFIG, OrchestratorConfig } from '../config';
import { requestText, type TextResponse } from '../common/http-json';
import { ProblemException, serviceTokenSource } from '@upshift/http';
import type { AuditQuery } from '@upshift/http';
import type { AuditPage } from '@upshift/contracts';

/** The registry's version body (only the fields the orchestrator reads). */
export interface RegistryVersion {
  id: string;
  componentId: string;
  version: string;
  status: string;
  artifact: { url: string; sha256: string; signature: string | null };
  /** Published with a signature that verified against one of the component's keys. */
  signed: boolean;
  /** The key that verified it; null when unsigned or when that key was removed since. */
  signingKeyId: string | null;
  /** The component has signing keys now, so its agents install signed artifacts only (ADR 0073). */
  signatureRequired: boolean;
  dependencies: Record<string, string>;
}

export interface RegistryIssue {
  code: string;
  message: string;
}

export interface PathValidation {
  valid: boolean;
  path: { versionId: string; version: string }[];
  blockers: RegistryIssue[];
  warnings: RegistryIssue[];
}

export interface RegistryComponent {
  id: string;
  name: string;
}

export interface RegistryInstance {
  id: string;
  tenantId: string;
  componentId: string;
  versionId: string;
  version: string;
  name: string;
  agentUrl: string;
  /** Absent from a registry older than ADR 0092, which reads as in support. */
  outOfSupport?: boolean;
}

const PREFIX = '/api/v1/registry';
/** The registry's largest page (ADR 0076): an execution over 10,000 instances costs 20 requests. */
const INSTANCE_PAGE_LIMIT = 500;

/**
 * The registry's REST API as the orchestrator uses it. The registry being down is a 503 for the
 * caller (retry later), never a 500: nothing has been written when these calls fail.
 */
@Injectable()
export class RegistryClient {
  private readonly logger = new Logger(RegistryClient.name);
  private readonly baseUrl: string;
  /** The orchestrator acts on every tenant's inventory; the caller's tenant is checked before it asks. */
  private readonly token: () => Promise<string>;

  constructor(@Inject(ORCHESTRATOR_CONFIG) config: OrchestratorConfig) {
    this.baseUrl = config.REGISTRY_URL.replace(/\/$/, '');
    this.token = serviceTokenSource({
      staticToken: config.REGISTRY_TOKEN,
      secret: config.AUTH_JWT_SECRET,
      sub: 'service:orchestrator',
      roles: ['operator'],
      issuer: config.AUTH_ISSUER,
      audience: config.AUTH_AUDIENCE,
    });
  }

  /** The version, or null when it does not exist or is not the component's. */
  async getVersion(componentId: string, versionId: string): Promise<RegistryVersion | null> {
    const res = await this.call('GET', `/components/${enc(componentId)}/versions/${enc(versionId)}`);
    if (res.status === 404) return null;
    return this.json<RegistryVersion>(res, 'read a version');
  }

  async validatePath(
    componentId: string,
    body: { fromVersionId: string; toVersionId: string; installedComponents: Record<string, string> },
  ): Promise<PathValidation> {
    const res = await this.call('POST', `/components/${enc(componentId)}/upgrade-path/validate`, body);
    return this.json<PathValidation>(res, 'validate the upgrade path');
  }

  /** The component (its name), or null when the registry has no such component. */
  async getComponent(componentId: string): Promise<RegistryComponent | null> {
    const res = await this.call('GET', `/components/${enc(componentId)}`);
    if (res.status === 404) return null;
    return this.json<RegistryComponent>(res, 'read a component');
  }

  /**
   * The tenant's instances of the component, at `versionId` when given, ordered by name: every page of
   * the registry's list, read with its largest limit (ADR 0076). A page shorter than the limit is the
   * last. An instance registered meanwhile can shift a row from one page to the next, so rows are kept
   * once by id.
   */
  async listInstances(
    tenantId: string,
    componentId: string,
    versionId?: string,
  ): Promise<RegistryInstance[]> {
    const filter: Record<string, string> =
      versionId === undefined ? { componentId } : { componentId, versionId };
    const byId = new Map<string, RegistryInstance>();
    for (let offset = 0; ; offset += INSTANCE_PAGE_LIMIT) {
      const query = new URLSearchParams({
        ...filter,
        limit: String(INSTANCE_PAGE_LIMIT),
        offset: String(offset),
      }).toString();
      const res = await this.call('GET', `/tenants/${enc(tenantId)}/instances?${query}`);
      const page = this.json<RegistryInstance[]>(res, 'list instances');
      for (const instance of page) if (!byId.has(instance.id)) byId.set(instance.id, instance);
      if (page.length < INSTANCE_PAGE_LIMIT) return [...byId.values()];
    }
  }

  /**
   * Records several instances' new versions in one request (the registry's bulk PATCH); answers which
   * instances the registry does not have. Throws on anything but 2xx, so the sync job is retried.
   */
  async recordInstanceVersions(
    tenantId: string,
    updates: readonly { instanceId: string; versionId: string }[],
  ): Promise<{ updated: string[]; missing: string[] }> {
    const res = await this.call('PATCH', `/tenants/${enc(tenantId)}/instances`, { updates });
    return this.json<{ updated: string[]; missing: string[] }>(res, 'record instance versions');
  }

  /**
   * One page of the registry's audit log, asked with the caller's own `authorization` rather than the
   * service token: the registry scopes its records to what the caller may see (ADR 0075).
   */
  async auditPage(query: AuditQuery, authorization: string): Promise<AuditPage> {
    const params = new URLSearchParams({ limit: String(query.limit) });
    if (query.tenantId !== undefined) params.set('tenantId', query.tenantId);
    if (query.since !== undefined) params.set('since', query.since);
    if (query.before !== undefined) params.set('before', query.before);
    const res = await this.call('GET', `/audit?${params.toString()}`, undefined, authorization);
    return this.json<AuditPage>(res, 'read its audit log');
  }

  private async call(
    method: string,
    path: string,
    body?: unknown,
    authorization?: string,
  ): Promise<TextResponse> {
    try {
      return await requestText(method, `${this.baseUrl}${PREFIX}${path}`, body, 10_000, {
        authorization: authorization ?? `Bearer ${await this.token()}`,
      });
    } catch (error) {
      // The cause names internal addresses: it goes to the log, the client gets a fixed reason.
      this.logger.warn({ err: error, method, path }, 'the registry did not answer');
      throw new ProblemException(
        HttpStatus.SERVICE_UNAVAILABLE,
        'Registry unavailable',
        'The registry did not answer; nothing was changed. Retry later.',
      );
    }
  }

  private json<T>(res: TextResponse, what: string): T {
    if (res.status < 200 || res.status >= 300) {
      this.logger.warn(
        { status: res.status, body: res.text.slice(0, 500) },
        `the registry refused to ${what}`,
      );
      const detail = `The registry answered ${res.status} when asked to ${what}; nothing was changed.`;
      // 502 either way for the caller (docs/api-contract.md, "Problems"); a 5xx may pass with a retry.
      if (res.status >= 500) throw new RegistryServerError(detail);
      throw new ProblemException(HttpStatus.BAD_GATEWAY, 'Registry error', detail);
    }
    return JSON.parse(res.text) as T;
  }
}

/** The registry answered 5xx: the same 502 problem as any other error answer, but worth another try. */
class RegistryServerError extends ProblemException {
  constructor(detail: string) {
    super(HttpStatus.BAD_GATEWAY, 'Registry error', detail);
  }
}

/**
 * Whether a RegistryClient call failed because the registry could not serve it now (no answer, or a 5xx
 * while it restarts or its database fails over): worth asking again. A refusal (4xx) is not.
 */
export function registryUnavailable(error: unknown): boolean {
  return (
    error instanceof RegistryServerError ||
    (error instanceof ProblemException && error.getStatus() === HttpStatus.SERVICE_UNAVAILABLE)
  );
}

const enc = encodeURIComponent;
