import * as http from 'http';
import * as https from 'https';
import type { NextFunction, Request, Response } from 'express';

export const API_PREFIX = '/api/v1/registry';

/**
 * The paths the orchestrator serves itself (seed 003); everything else under /api/v1/registry belongs
 * to the registry and is forwarded. Kept as explicit patterns next to the controller's routes.
 */
const OWN_PATHS: readonly RegExp[] = [
  /^\/tenants\/[^/]+\/upgrades\/?$/,
  /^\/tenants\/[^/]+\/components\/[^/]+\/upgrades\/active\/?$/,
  /^\/components\/[^/]+\/upgrade-statistics\/?$/,
  /^\/upgrades(\/.*)?$/,
];

export function isOwnPath(pathUnderPrefix: string): boolean {
  return OWN_PATHS.some((p) => p.test(pathUnderPrefix));
}

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
]);

/**
 * A small streaming reverse proxy (ADR 0045): one base URL serves both services, as a gateway would in
 * production. It runs before body parsing, so request and response bodies stream through untouched.
 */
export function registryProxy(registryUrl: string, onError: (error: Error, path: string) => void) {
  const target = new URL(registryUrl);
  const client = target.protocol === 'https:' ? https : http;
  const agent = new client.Agent({ keepAlive: true, maxSockets: 64 });
  const basePath = target.pathname.replace(/\/$/, '');

  return (req: Request, res: Response, next: NextFunction): void => {
    const url = req.originalUrl;
    if (!url.startsWith(API_PREFIX + '/') && url !== API_PREFIX) return next();
    const rest = url.slice(API_PREFIX.length).split('?')[0] ?? '';
    if (isOwnPath(rest)) return next();

    const headers: http.OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (!HOP_BY_HOP.has(name) && value !== undefined) headers[name] = value;
    }
    // Bodies stream with their original framing (chunked unless a length was sent).
    if (req.headers['transfer-encoding'] !== undefined && req.headers['content-length'] === undefined) {
      headers['transfer-encoding'] = req.headers['transfer-encoding'];
    }
    headers['host'] = target.host;
    headers['x-forwarded-host'] = req.headers.host ?? '';
    headers['x-forwarded-proto'] = req.protocol;
    const upstream = client.request(
      {
        protocol: target.protocol,
        hostname: target.hostname,
        port: target.port,
        method: req.method,
        path: basePath + url,
        headers,
        agent,
      },
      (answer) => {
        const out: Record<string, string | string[]> = {};
        for (const [name, value] of Object.entries(answer.headers)) {
          if (!HOP_BY_HOP.has(name) && value !== undefined) out[name] = value;
        }
        res.writeHead(answer.statusCode ?? 502, out);
        answer.pipe(res);
      },
    );
    upstream.on('error', (error) => {
      onError(error, url);
      if (!res.headersSent) {
        res
          .status(502)
          .type('application/problem+json')
          .send(
            JSON.stringify({
              type: 'https://upshift.dev/problems/bad-gateway',
              title: 'Bad Gateway',
              status: 502,
              detail: `The registry at ${target.origin} did not answer (${error.message}); is it running?`,
              instance: url,
            }),
          );
      } else {
        res.destroy(error);
      }
    });
    req.pipe(upstream);
  };
}
