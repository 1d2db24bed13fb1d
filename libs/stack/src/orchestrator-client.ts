import type { UpgradeExecutionView } from '@upshift/contracts';

/** The few REST calls the demo, the benchmark and the E2E tests make (docs/api-contract.md), with a bearer token. */
export class OrchestratorClient {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
  ) {}

  create(tenantId: string, request: Record<string, unknown>): Promise<UpgradeExecutionView> {
    return this.call('POST', `/tenants/${tenantId}/upgrades`, request, 201);
  }

  operate(
    executionId: string,
    operation: 'start' | 'promote-canary' | 'pause' | 'resume' | 'cancel' | 'rollback',
    query = '',
  ): Promise<UpgradeExecutionView> {
    return this.call('POST', `/upgrades/${executionId}/${operation}${query}`, undefined, 200);
  }

  get(executionId: string): Promise<UpgradeExecutionView> {
    return this.call('GET', `/upgrades/${executionId}`, undefined, 200);
  }

  async call<T>(method: string, path: string, body: unknown, expected: number): Promise<T> {
    const response = await fetch(`${this.baseUrl}/api/v1/registry${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (response.status !== expected)
      throw new Error(`${method} ${path} answered ${response.status}: ${text.slice(0, 1000)}`);
    return JSON.parse(text) as T;
  }
}
