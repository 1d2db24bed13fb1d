import type { OpenAPIObject } from '@nestjs/swagger';
import { PROBLEM_JSON } from '@upshift/contracts';
import { requestText } from '../common/http-json';
import { problemResponse } from '../upgrades/openapi-schemas';
import { API_PREFIX, isOwnPath } from './registry-proxy';

interface Operation {
  requestBody?: unknown;
  security?: unknown[];
  responses?: Record<string, { content?: Record<string, unknown>; description?: string }>;
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

export interface RegistryOpenApiOptions {
  /** How long a fetched registry document is served before it is fetched again. */
  maxAgeMs?: number;
  timeoutMs?: number;
  /** Told when the registry's document cannot be had (the last good copy is served meanwhile). */
  onError?: (error: Error) => void;
  now?: () => number;
}

/**
 * The registry's OpenAPI document, as the one base URL serves it (ADR 0049): fetched from the
 * registry's public `/api/docs-json` over HTTP (the apps share no source), cached, fetched again once
 * it is older than `maxAgeMs`. A failed fetch keeps the last good copy and is retried on the next
 * request, so a registry that was down when the orchestrator started shows up once it is back.
 */
export class RegistryOpenApi {
  private cached: { document: OpenAPIObject; fetchedAt: number } | null = null;
  private lastError: string | null = null;
  private inFlight: Promise<void> | null = null;
  private readonly url: string;
  private readonly maxAgeMs: number;
  private readonly timeoutMs: number;
  private readonly now: () => number;

  constructor(
    registryUrl: string,
    private readonly options: RegistryOpenApiOptions = {},
  ) {
    this.url = `${registryUrl.replace(/\/$/, '')}/api/docs-json`;
    this.maxAgeMs = options.maxAgeMs ?? 60_000;
    this.timeoutMs = options.timeoutMs ?? 3_000;
    this.now = options.now ?? Date.now;
  }

  /** The cached document (possibly stale), or null when none was ever fetched. */
  get document(): OpenAPIObject | null {
    return this.cached?.document ?? null;
  }

  /** Why the last fetch failed; null after a success. */
  get error(): string | null {
    return this.lastError;
  }

  /** Fetches the document unless a fresh copy is cached; concurrent callers share one fetch. Never throws. */
  refresh(): Promise<void> {
    const fresh = this.cached !== null && this.now() - this.cached.fetchedAt < this.maxAgeMs;
    if (fresh && this.lastError === null) return Promise.resolve();
    this.inFlight ??= this.fetch().finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  private async fetch(): Promise<void> {
    try {
      const res = await requestText('GET', this.url, undefined, this.timeoutMs);
      if (res.status !== 200) throw new Error(`the registry answered ${res.status}`);
      const document = JSON.parse(res.text) as OpenAPIObject;
      if (typeof document.paths !== 'object' || document.paths === null) {
        throw new Error('the registry answered something that is not an OpenAPI document');
      }
      this.cached = { document, fetchedAt: this.now() };
      this.lastError = null;
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      this.lastError = failure.message;
      this.options.onError?.(failure);
    }
  }
}

/**
 * One document for the one base URL: the orchestrator's own paths, plus the registry's paths under
 * /api/v1/registry that the proxy forwards (not its health paths, which only the registry's own port
 * serves). Schemas are merged by name; a registry schema whose name the orchestrator already uses for
 * something else is renamed `Registry<Name>`, its references with it.
 */
export function mergeOpenApi(
  own: OpenAPIObject,
  registry: OpenAPIObject | null,
  registryError: string | null,
): OpenAPIObject {
  // A JSON copy: structuredClone would keep objects that the document shares between operations shared.
  const merged = JSON.parse(JSON.stringify(own)) as OpenAPIObject;
  const description = own.info.description ?? '';
  if (registry === null) {
    merged.info.description =
      `${description}\n\nThe registry's paths are missing from this document: it could not be fetched ` +
      `(${registryError ?? 'not yet asked'}). Reload to try again.`;
    return withProblemResponses(merged);
  }
  const renames = new Map<string, string>();
  const ownSchemas = merged.components?.schemas ?? {};
  for (const [name, schema] of Object.entries(registry.components?.schemas ?? {})) {
    if (name in ownSchemas && !sameJson(ownSchemas[name], schema)) renames.set(name, `Registry${name}`);
  }
  const theirs = renameRefs(registry, renames);
  for (const [path, item] of Object.entries(theirs.paths)) {
    const underPrefix = path.startsWith(`${API_PREFIX}/`) ? path.slice(API_PREFIX.length) : null;
    if (underPrefix === null || isOwnPath(underPrefix) || path in merged.paths) continue;
    merged.paths[path] = item;
  }
  merged.components = {
    ...merged.components,
    schemas: {
      ...Object.fromEntries(
        Object.entries(theirs.components?.schemas ?? {}).map(([name, schema]) => [
          renames.get(name) ?? name,
          schema,
        ]),
      ),
      ...merged.components?.schemas,
    },
    securitySchemes: { ...theirs.components?.securitySchemes, ...merged.components?.securitySchemes },
  };
  const tags = new Map([...(theirs.tags ?? []), ...(merged.tags ?? [])].map((tag) => [tag.name, tag]));
  merged.tags = [...tags.values()];
  merged.info.description = `${description}\n\nRegistry: ${registry.info.description ?? registry.info.title}`;
  return withProblemResponses(merged);
}

/**
 * Makes every operation's problem answers explicit: each 4xx is `application/problem+json`, every
 * operation that needs a token can answer 401 and 403, and every one that takes a body can answer 415.
 * Paths outside /api/v1/registry (health) need no token (`security: []`).
 */
export function withProblemResponses(document: OpenAPIObject): OpenAPIObject {
  for (const [path, item] of Object.entries(document.paths)) {
    const needsToken = path.startsWith(`${API_PREFIX}/`);
    for (const method of METHODS) {
      const operation = (item as Record<string, Operation | undefined>)[method];
      if (operation === undefined) continue;
      const responses = (operation.responses ??= {});
      if (!needsToken) {
        operation.security = [];
        continue;
      }
      const extra = [401, 403, ...(operation.requestBody !== undefined ? [415] : [])];
      for (const status of extra) responses[String(status)] ??= problemResponse(status);
      for (const [status, response] of Object.entries(responses)) {
        if (!/^4\d\d$/.test(status)) continue;
        const content = response.content ?? {};
        if (Object.keys(content).length === 1 && PROBLEM_JSON in content) continue;
        // A problem documented under another media type: the service sends it as problem+json.
        const schema = Object.values(content)[0] ?? problemResponse(Number(status)).content[PROBLEM_JSON];
        response.content = { [PROBLEM_JSON]: schema };
      }
    }
  }
  return document;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** A copy of the document (the cached one stays as fetched) with the renamed schemas' references. */
function renameRefs(document: OpenAPIObject, renames: Map<string, string>): OpenAPIObject {
  return JSON.parse(JSON.stringify(document), (key, value: unknown) => {
    if (key !== '$ref' || typeof value !== 'string') return value;
    const name = value.replace('#/components/schemas/', '');
    const renamed = renames.get(name);
    return renamed === undefined ? value : `#/components/schemas/${renamed}`;
  }) as OpenAPIObject;
}
