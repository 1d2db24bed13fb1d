import type { IncomingMessage, ServerResponse } from 'http';

const MAX_BODY_BYTES = 1024 * 1024;

export class BadRequestError extends Error {}

export async function readJsonBody(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new BadRequestError('the body is larger than 1 MiB');
    chunks.push(buffer);
  }
  if (size === 0) return {};
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw new BadRequestError('the body is not valid JSON');
  }
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
