/** The REST API under the one base URL (docs/api-contract.md), with the signed-in bearer token. */
export const API_PREFIX = '/api/v1/registry';

/** An error answer: the problem's title and detail (RFC 9457), and the status. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: { title?: string; detail?: string; type?: string; [member: string]: unknown },
  ) {
    super(problem.detail ?? problem.title ?? `HTTP ${status}`);
  }
}

export type Query = Record<string, string | number | undefined>;

export class Api {
  constructor(
    readonly token: string,
    /** Called on a 401 (here and by the event streams): the token expired or was never valid. */
    readonly onUnauthorized: () => void,
  ) {}

  get<T>(path: string, query: Query = {}): Promise<T> {
    return this.request<T>('GET', path, query);
  }

  post<T>(path: string, body?: unknown, query: Query = {}): Promise<T> {
    return this.request<T>('POST', path, query, body);
  }

  private async request<T>(method: string, path: string, query: Query, body?: unknown): Promise<T> {
    const url = new URL(API_PREFIX + path, window.location.origin);
    for (const [name, value] of Object.entries(query)) {
      if (value !== undefined && value !== '') url.searchParams.set(name, String(value));
    }
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.token}`,
      accept: 'application/json',
    };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const answer = await fetch(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (answer.status === 401) this.onUnauthorized();
    if (!answer.ok) {
      const problem = (await answer.json().catch(() => ({}))) as ApiError['problem'];
      throw new ApiError(answer.status, problem);
    }
    return (answer.status === 204 ? undefined : await answer.json()) as T;
  }
}

export function errorText(error: unknown): string {
  if (error instanceof ApiError) {
    const title = error.problem.title ?? `HTTP ${error.status}`;
    return error.problem.detail === undefined ? title : `${title}: ${error.problem.detail}`;
  }
  return error instanceof Error ? error.message : String(error);
}
