import type { ComponentSummary, VersionSummary } from '@upshift/contracts';
import type { ApiClient } from './api-client';
import { UsageError } from './errors';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** The registry's largest page (ADR 0076). */
const PAGE = 500;

/** Every row of one of the registry's offset-paged lists. */
async function everyRow<T>(api: ApiClient, pathname: string): Promise<T[]> {
  const rows: T[] = [];
  for (let offset = 0; ; offset += PAGE) {
    const page = await api.get<T[]>(pathname, { limit: PAGE, offset });
    rows.push(...page);
    if (page.length < PAGE) return rows;
  }
}

export function listComponents(api: ApiClient): Promise<ComponentSummary[]> {
  return everyRow<ComponentSummary>(api, '/components');
}

export function listVersions(api: ApiClient, componentId: string): Promise<VersionSummary[]> {
  return everyRow<VersionSummary>(api, `/components/${encodeURIComponent(componentId)}/versions`);
}

/** A component by id or by name; `field` names the argument in the error. */
export async function resolveComponent(
  api: ApiClient,
  nameOrId: string,
  field: string,
): Promise<ComponentSummary> {
  if (UUID.test(nameOrId)) {
    return api.get<ComponentSummary>(`/components/${nameOrId}`);
  }
  const found = (await listComponents(api)).find((c) => c.name === nameOrId);
  if (!found) throw new UsageError(field, `no component is named ${JSON.stringify(nameOrId)}`);
  return found;
}

/** A version of the component by id or by version number. */
export async function resolveVersion(
  api: ApiClient,
  componentId: string,
  versionOrId: string,
  field: string,
): Promise<VersionSummary> {
  const versions = await listVersions(api, componentId);
  const found = versions.find((v) => v.id === versionOrId || v.version === versionOrId);
  if (!found) {
    throw new UsageError(field, `${JSON.stringify(versionOrId)} is not a version of the component`);
  }
  return found;
}
