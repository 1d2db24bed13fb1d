import * as http from 'http';
import * as https from 'https';

// Keep-alive pools: the agent checks fan out over whole fleets, and a TCP handshake per call would
// cost more than the call.
const agents = {
  'http:': new http.Agent({ keepAlive: true, maxSockets: 64 }),
  'https:': new https.Agent({ keepAlive: true, maxSockets: 64 }),
};

export interface JsonResponse {
  status: number;
  body: unknown;
}

/** GET a URL and parse its JSON body (null when empty); rejects on network errors, timeouts and bad JSON. */
export function getJson(url: string, timeoutMs: number): Promise<JsonResponse> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const client = target.protocol === 'https:' ? https : http;
    const agent = target.protocol === 'https:' ? agents['https:'] : agents['http:'];
    const req = client.get(
      target,
      { agent, headers: { accept: 'application/json' }, timeout: timeoutMs },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          try {
            resolve({ status: res.statusCode ?? 0, body: text ? (JSON.parse(text) as unknown) : null });
          } catch {
            reject(new Error(`answered ${res.statusCode ?? 0} with a body that is not JSON`));
          }
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}
