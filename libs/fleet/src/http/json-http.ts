import type { IncomingMessage, ServerResponse } from 'http';

const MAX_BODY_BYTES = 1024 * 1024;

export class BadRequestError extends Error {}

/** The raw body (agent requests are verified over the exact bytes before they are parsed). */
export async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new BadRequestError('the body is larger than 1 MiB');
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

export function parseJsonBody(bytes: Buffer): unknown {
  if (bytes.length === 0) return {};
  try {
    return JSON.parse(bytes.toString('utf8')) as unknown;
  } catch {
    throw new BadRequestError('the body is not valid JSON');
  }
}

export async function readJsonBody(request: IncomingMessage): Promise<unknown> {
  return parseJsonBody(await readBody(request));
}

export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  const isProblem = status >= 400 && typeof body === 'object' && body !== null && 'title' in body;
  response.writeHead(status, {
    'content-type': isProblem ? 'application/problem+json' : 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}

export function sendProblem(response: ServerResponse, status: number, title: string, detail: string): void {
  sendJson(response, status, { type: 'about:blank', title, status, detail });
}
