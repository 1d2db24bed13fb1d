import { createHash, randomUUID } from 'crypto';
import type { TestStack } from './stack';

export interface Fleet {
  tenantId: string;
  componentId: string;
  fromVersionId: string;
  toVersionId: string;
  instanceIds: string[];
  names: string[];
}

const REGISTRATIONS_IN_FLIGHT = 8;

async function registry<T>(stack: TestStack, method: string, pathname: string, body?: unknown): Promise<T> {
  const res = await fetch(`${stack.registry.url}/api/v1/registry${pathname}`, {
    method,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${stack.adminToken}` },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`registry ${method} ${pathname} answered ${res.status}: ${text}`);
  return JSON.parse(text) as T;
}

async function publishedVersion(
  stack: TestStack,
  componentId: string,
  version: string,
  dependencies: Record<string, string> = {},
): Promise<string> {
  const sha256 = createHash('sha256').update(`${componentId}:${version}`).digest('hex');
  const created = await registry<{ id: string }>(stack, 'POST', `/components/${componentId}/versions`, {
    version,
    artifact: { url: `https://artifacts.example.com/${version}.tar.gz`, sha256 },
    dependencies,
  });
  await registry(stack, 'POST', `/components/${componentId}/versions/${created.id}/publish`, {});
  return created.id;
}

/**
 * Registers, through the registry's own REST API, a component with versions 1.0.0 → 1.1.0 and `count`
 * instances on 1.0.0, each with an agent in the test's AgentFleet.
 */
export async function registerFleet(
  stack: TestStack,
  count: number,
  options: { dependencies?: Record<string, string>; tenantId?: string } = {},
): Promise<Fleet> {
  const tenantId = options.tenantId ?? `t${randomUUID().slice(0, 8)}`;
  const component = await registry<{ id: string }>(stack, 'POST', '/components', {
    name: `svc-${randomUUID().slice(0, 8)}`,
    kind: 'service',
  });
  const fromVersionId = await publishedVersion(stack, component.id, '1.0.0');
  const toVersionId = await publishedVersion(stack, component.id, '1.1.0', options.dependencies);
  const names = Array.from({ length: count }, (_, i) => `${tenantId}-node-${String(i).padStart(4, '0')}`);
  const agentUrls = names.map((name) => stack.agents.add(name));
  const instanceIds: string[] = new Array<string>(count);
  // A few registrations in flight at once: one at a time, a 600-instance fleet took most of its suite's
  // run, waiting on one database round trip after another.
  let next = 0;
  const register = async (): Promise<void> => {
    for (let i = next++; i < count; i = next++) {
      const instance = await registry<{ id: string }>(stack, 'POST', `/tenants/${tenantId}/instances`, {
        componentId: component.id,
        versionId: fromVersionId,
        name: names[i],
        agentUrl: agentUrls[i],
      });
      instanceIds[i] = instance.id;
    }
  };
  await Promise.all(Array.from({ length: Math.min(REGISTRATIONS_IN_FLIGHT, count) }, register));
  return { tenantId, componentId: component.id, fromVersionId, toVersionId, instanceIds, names };
}
