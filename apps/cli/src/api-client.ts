import { apiErrorFrom, UnreachableError } from './errors';
import type { Connection } from './connection';

/** The REST prefix both services share behind the orchestrator (docs/api-contract.md). */
export const API_PREFIX = '/api/v1/registry';

export type Query = Record<string, string | number | boolean | undefined>;

/** JSON over HTTP with the bearer token; any non-2xx answer becomes an ApiError. */
export class ApiClient {
  constructor(readonly connection: Connection) {}

  get base(): string {
    return `${this.connection.url}${API_PREFIX}`;
  }

  url(pathname: string, query: Query = {}): string {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) if (value !== undefined) search.set(key, String(value));
    const qs = search.toString();
    return `${this.base}${pathname}${qs ? `?${qs}` : ''}`;
  }

  headers(extra: Record<string, string> = {}): Record<string, string> {
    const headers: Record<string, string> = { accept: 'application/json', ...extra };
    if (this.connection.token) headers['authorization'] = `Bearer ${this.connection.token}`;
    return headers;
  }

  get<T>(pathname: string, query: Query = {}): Promise<T> {
    return this.send<T>('GET', pathname, query);
  }

  post<T>(pathname: string, body?: unknown, query: Query = {}): Promise<T> {
    return this.send<T>('POST', pathname, query, body);
  }

  /** A request whose answer the caller reads itself (the event stream); connection errors are mapped. */
  async fetch(url: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(url, init);
    } catch (error) {
      if ((error as Error).name === 'AbortError') throw error;
      throw new UnreachableError(this.connection.url, causeOf(error));
    }
  }

  private async send<T>(method: string, pathname: string, query: Query, body?: unknown): Promise<T> {
    const res = await this.fetch(this.url(pathname, query), {
      method,
      headers: this.headers(body === undefined ? {} : { 'content-type': 'application/json' }),
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw apiErrorFrom(res.status, res.statusText, text);
    return (text ? JSON.parse(text) : null) as T;
  }
}

/** fetch() says "fetch failed"; the reason (ECONNREFUSED, …) is in its cause. */
export function causeOf(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}
