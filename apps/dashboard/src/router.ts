import { useEffect, useState } from 'preact/hooks';

/** The pages, addressed by the URL fragment so that the orchestrator serves one file for all of them. */
export type Route = { page: 'executions' } | { page: 'execution'; id: string } | { page: 'catalog' };

export function parseRoute(hash: string): Route {
  const execution = /^#\/executions\/([0-9a-fA-F-]{36})$/.exec(hash);
  if (execution !== null) return { page: 'execution', id: execution[1] as string };
  if (hash === '#/catalog') return { page: 'catalog' };
  return { page: 'executions' };
}

export function executionHref(id: string): string {
  return `#/executions/${id}`;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}
