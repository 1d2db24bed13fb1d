/** Registers simulated instances in the registry's inventory (apps/registry, `instances` feature). */
export interface InstanceRegistration {
  tenantId: string;
  componentId: string;
  versionId: string;
  name: string;
  agentUrl: string;
  labels: Record<string, string>;
}

export class RegistryInventoryClient {
  constructor(
    private readonly registryUrl: string,
    private readonly token: string,
  ) {}

  /** Returns the registry's id for the new instance. */
  async register(registration: InstanceRegistration): Promise<string> {
    const { tenantId, ...body } = registration;
    const url = `${this.registryUrl.replace(/\/$/, '')}/api/v1/registry/tenants/${encodeURIComponent(tenantId)}/instances`;
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${this.token}` },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await response.text();
    if (response.status !== 201 && response.status !== 200) {
      throw new Error(
        `the registry refused to register instance ${registration.name} (POST ${url} → ${response.status}): ${text.slice(0, 500)}`,
      );
    }
    const parsed = JSON.parse(text) as { id?: unknown };
    if (typeof parsed.id !== 'string')
      throw new Error(`the registry answered without an instance id: ${text.slice(0, 200)}`);
    return parsed.id;
  }
}

/** Runs `task` over `items` with at most `concurrency` in flight. */
export async function forEachConcurrently<T>(
  items: readonly T[],
  concurrency: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const runners = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next];
      next += 1;
      if (item !== undefined) await task(item);
    }
  });
  await Promise.all(runners);
}
