import type { ExecutionStatus, UpgradeExecutionView } from '@upshift/contracts/model';
import { TERMINAL_STATUSES } from '@upshift/domain';

/** A component or version as the registry lists them (docs/api-contract.md); only what lookups need. */
interface Named {
  id: string;
  name?: string;
  version?: string;
}

export interface WaitForOptions {
  /** Give up after this long (default 5 minutes): a stuck execution fails the caller's test, not hangs it. */
  timeoutMs?: number;
  /** Time between two reads of the execution (default 500 ms). */
  pollMs?: number;
}

/**
 * The REST calls a user's test makes against the orchestrator's one base URL
 * (docs/adr/0045-one-base-url-registry-proxy.md), with one bearer token.
 */
export class UpshiftClient {
  constructor(
    /** `http://HOST:PORT/api/v1/registry`, the orchestrator's one base URL. */
    readonly baseUrl: string,
    private readonly token: string,
    /** The tenant createUpgrade acts for when it is given none. */
    private readonly defaultTenantId: string | null = null,
  ) {}

  /** The same client with another token (e.g. a viewer's, to check what it may not do). */
  as(token: string): UpshiftClient {
    return new UpshiftClient(this.baseUrl, token, this.defaultTenantId);
  }

  /** The id of a catalog component, by name; throws when the catalog has none of that name. */
  async componentId(name: string): Promise<string> {
    const components = await this.call<Named[]>('GET', '/components', undefined, 200);
    const found = components.find((c) => c.name === name);
    if (found === undefined) throw new Error(`the catalog has no component named ${name}`);
    return found.id;
  }

  /** The id of one version of a catalog component, e.g. versionId('upshift-gateway', '2.2.2'). */
  async versionId(componentName: string, version: string): Promise<string> {
    const componentId = await this.componentId(componentName);
    const versions = await this.call<Named[]>('GET', `/components/${componentId}/versions`, undefined, 200);
    const found = versions.find((v) => v.version === version);
    if (found === undefined) throw new Error(`${componentName} has no version ${version} in the catalog`);
    return found.id;
  }

  /** POST /tenants/:tenantId/upgrades: a PENDING execution (body as in docs/api-contract.md). */
  createUpgrade(
    body: Record<string, unknown>,
    tenantId = this.defaultTenantId,
  ): Promise<UpgradeExecutionView> {
    if (tenantId === null) throw new Error('createUpgrade needs a tenant id: this client has no default one');
    return this.call('POST', `/tenants/${tenantId}/upgrades`, body, 201);
  }

  /** POST /upgrades/:id/start. */
  start(executionId: string): Promise<UpgradeExecutionView> {
    return this.call('POST', `/upgrades/${executionId}/start`, undefined, 200);
  }

  /** GET /upgrades/:id. */
  get(executionId: string): Promise<UpgradeExecutionView> {
    return this.call('GET', `/upgrades/${executionId}`, undefined, 200);
  }

  /**
   * Reads the execution until it reaches `status`. Throws as soon as it ends in another terminal status
   * (a FAILED run will never become COMPLETED), or at the deadline, naming the status it was in.
   */
  async waitFor(
    executionId: string,
    status: ExecutionStatus | `${ExecutionStatus}`,
    options: WaitForOptions = {},
  ): Promise<UpgradeExecutionView> {
    const deadline = Date.now() + (options.timeoutMs ?? 300_000);
    for (;;) {
      const execution = await this.get(executionId);
      if (execution.status === status) return execution;
      if (TERMINAL_STATUSES.includes(execution.status as ExecutionStatus))
        throw new Error(`execution ${executionId} ended ${execution.status}, not ${status}`);
      if (Date.now() > deadline)
        throw new Error(`execution ${executionId} is ${execution.status}, not ${status}, after the deadline`);
      await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 500));
    }
  }

  /** Any other call of docs/api-contract.md: `path` is relative to the base URL; throws on another status. */
  async call<T>(method: string, path: string, body: unknown, expectedStatus: number): Promise<T> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (response.status !== expectedStatus)
      throw new Error(`${method} ${path} answered ${response.status}: ${text.slice(0, 1000)}`);
    return JSON.parse(text) as T;
  }
}
