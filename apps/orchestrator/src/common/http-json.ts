import * as http from 'http';
import * as https from 'https';

// Keep-alive pools: the agent checks fan out over whole fleets and the registry is called on every
// settled batch; a TCP handshake (or fetch()'s overhead, several times the CPU of the call) per call
// would cost more than the call.
const agents = {
  'http:': new http.Agent({ keepAlive: true, maxSockets: 64 }),
  'https:': new https.Agent({ keepAlive: true, maxSockets: 64 }),
};

export interface TextResponse {
  status: number;
  text: string;
}

export interface JsonResponse {
  status: number;
  body: unknown;
}

/**
 * One HTTP exchange through the keep-alive pools: an optional JSON body out, the whole answer back as
 * text. Rejects on network errors and timeouts only; the caller decides what a status means.
 *
 * A pooled connection that the server closed as idle at the moment it was reused fails with
 * ECONNRESET before the server read anything; such an exchange is sent once more on a new connection
 * (the race Node's http documentation describes under `request.reusedSocket`). Every caller's requests
 * are reads or idempotent writes, so a second send is safe.
 */
export async function requestText(
  method: string,
  url: string,
  body: unknown,
  timeoutMs: number,
  extraHeaders: Record<string, string> = {},
): Promise<TextResponse> {
  try {
    return await exchange(method, url, body, timeoutMs, extraHeaders);
  } catch (error) {
    if (!(error instanceof StaleConnectionError)) throw error;
    return exchange(method, url, body, timeoutMs, extraHeaders);
  }
}

/** ECONNRESET on a reused keep-alive connection: the request never reached the server. */
class StaleConnectionError extends Error {}

function exchange(
  method: string,
  url: string,
  body: unknown,
  timeoutMs: number,
  extraHeaders: Record<string, string>,
): Promise<TextResponse> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const client = target.protocol === 'https:' ? https : http;
    const agent = target.protocol === 'https:' ? agents['https:'] : agents['http:'];
    const payload = body === undefined ? null : Buffer.from(JSON.stringify(body));
    const req = client.request(
      target,
      {
        method,
        agent,
        headers: payload
          ? {
              ...extraHeaders,
              accept: 'application/json',
              'content-type': 'application/json',
              'content-length': payload.length,
            }
          : { ...extraHeaders, accept: 'application/json' },
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (req.reusedSocket && error.code === 'ECONNRESET') {
        reject(new StaleConnectionError(error.message));
      } else reject(error);
    });
    req.end(payload ?? undefined);
  });
}

/** GET a URL and parse its JSON body (null when empty); rejects on network errors, timeouts and bad JSON. */
export async function getJson(url: string, timeoutMs: number): Promise<JsonResponse> {
  const { status, text } = await requestText('GET', url, undefined, timeoutMs);
  try {
    return { status, body: text ? (JSON.parse(text) as unknown) : null };
  } catch {
    throw new Error(`answered ${status} with a body that is not JSON`);
  }
}
