/**
 * Every row of one of the registry's paged lists (ADR 0076): the body of each page is a JSON array and
 * the next page, when there is one, is the RFC 8288 `Link: <…>; rel="next"` of the answer, followed
 * until there is none. `what` names the list in errors.
 */
export async function fetchAllPages<T>(firstUrl: string, token: string, what: string): Promise<T[]> {
  const rows: T[] = [];
  const visited = new Set<string>();
  let url: string | null = firstUrl;
  while (url !== null) {
    if (visited.has(url)) throw new Error(`the registry's list of ${what} links back to ${url}`);
    visited.add(url);
    const response = await fetch(url, {
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(15_000),
    });
    const text = await response.text();
    if (response.status !== 200) {
      throw new Error(
        `the registry did not list ${what} (GET ${url} → ${response.status}): ${text.slice(0, 500)}`,
      );
    }
    const page: unknown = JSON.parse(text);
    if (!Array.isArray(page)) {
      throw new Error(`the registry's list of ${what} is not a JSON array: ${text.slice(0, 200)}`);
    }
    rows.push(...(page as T[]));
    const next = nextLink(response.headers.get('link'));
    url = next === null ? null : new URL(next, url).toString();
  }
  return rows;
}

/** The target of the `rel="next"` link in an RFC 8288 `Link` header, as written (maybe relative). */
export function nextLink(header: string | null): string | null {
  if (header === null) return null;
  for (const link of header.split(/,(?=\s*<)/)) {
    const match = /^\s*<([^>]*)>(.*)$/.exec(link);
    if (match && /;\s*rel\s*=\s*(?:"(?:[^"]*\s)?next(?:\s[^"]*)?"|next)\s*(?:;|$)/i.test(match[2] ?? '')) {
      return match[1] ?? null;
    }
  }
  return null;
}
