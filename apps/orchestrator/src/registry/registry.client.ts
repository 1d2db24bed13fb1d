import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { ORCHESTRATOR_CONFIG, OrchestratorConfig } from '../config';
import { requestText, type TextResponse } from '../common/http-json';
import { ProblemException } from '../common/problem';

/** The registry's version body (only the fields the orchestrator reads). */
export interface RegistryVersion {
  id: string;
  componentId: string;
  version: string;
  status: string;
  artifact: { url: string; sha256: string; signature: string | null };
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

export interface RegistryInstance {
  id: string;
  tenantId: string;
  componentId: string;
  versionId: string;
  version: string;
  name: string;
  agentUrl: string;
}

const PREFIX = '/api/v1/registry';

/**
 * The registry's REST API as the orchestrator uses it. The registry being down is a 503 for the
 * caller (retry later), never a 500: nothing has been written when these calls fail.
 */
@Injectable()
export class RegistryClient {
  private readonly baseUrl: string;

  constructor(@Inject(ORCHESTRATOR_CONFIG) config: OrchestratorConfig) {
    this.baseUrl = config.REGISTRY_URL.replace(/\/$/, '');
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

  /** The tenant's instances of the component at `versionId`, ordered by name. */
  async listInstances(tenantId: string, componentId: string, versionId: string): Promise<RegistryInstance[]> {
    const query = new URLSearchParams({ componentId, versionId }).toString();
    const res = await this.call('GET', `/tenants/${enc(tenantId)}/instances?${query}`);
    return this.json<RegistryInstance[]>(res, 'list instances');
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

  private async call(method: string, path: string, body?: unknown): Promise<TextResponse> {
    try {
      return await requestText(method, `${this.baseUrl}${PREFIX}${path}`, body, 10_000);
    } catch (error) {
      throw new ProblemException(
        HttpStatus.SERVICE_UNAVAILABLE,
        'Registry Unavailable',
        `The registry at ${this.baseUrl} did not answer (${error instanceof Error ? error.message : String(error)}); retry later.`,
      );
    }
  }

  private json<T>(res: TextResponse, what: string): T {
    if (res.status < 200 || res.status >= 300) {
      throw new ProblemException(
        HttpStatus.BAD_GATEWAY,
        'Registry Error',
        `The registry answered ${res.status} when asked to ${what}: ${res.text.slice(0, 500)}`,
      );
    }
    return JSON.parse(res.text) as T;
  }
}

const enc = encodeURIComponent;
