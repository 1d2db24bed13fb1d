import { useCallback, useEffect, useState } from 'preact/hooks';
import type { ComponentSummary, VersionSummary } from '@upshift/contracts/model';
import type { Api } from './api';

/** The registry's largest page (docs/api-contract.md, "Paging"). */
const PAGE = 500;

export async function listComponents(api: Api): Promise<ComponentSummary[]> {
  return everyRow<ComponentSummary>(api, '/components');
}

export async function listVersions(api: Api, componentId: string): Promise<VersionSummary[]> {
  return everyRow<VersionSummary>(api, `/components/${encodeURIComponent(componentId)}/versions`);
}

async function everyRow<T>(api: Api, path: string): Promise<T[]> {
  const rows: T[] = [];
  for (let offset = 0; ; offset += PAGE) {
    const page = await api.get<T[]>(path, { limit: PAGE, offset });
    rows.push(...page);
    if (page.length < PAGE) return rows;
  }
}

/**
 * Names for the ids executions carry: components loaded once, a component's versions when first asked
 * for. Unknown ids show as themselves.
 */
export function useCatalogNames(api: Api) {
  const [components, setComponents] = useState<ComponentSummary[]>([]);
  const [versions, setVersions] = useState<ReadonlyMap<string, string>>(new Map());
  const [asked] = useState(() => new Set<string>());

  useEffect(() => {
    listComponents(api)
      .then(setComponents)
      .catch(() => setComponents([]));
  }, [api]);

  const wantVersions = useCallback(
    (componentId: string) => {
      if (asked.has(componentId)) return;
      asked.add(componentId);
      listVersions(api, componentId)
        .then((rows) =>
          setVersions((known) => {
            const next = new Map(known);
            for (const row of rows) next.set(row.id, row.version);
            return next;
          }),
        )
        .catch(() => asked.delete(componentId));
    },
    [api, asked],
  );

  const componentName = (id: string) => components.find((c) => c.id === id)?.name ?? id;
  const versionName = (id: string) => versions.get(id) ?? id.slice(0, 8);
  return { components, componentName, versionName, wantVersions };
}
