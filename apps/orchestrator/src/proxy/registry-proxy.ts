import * as http from 'http';
import * as https from 'https';
import type { NextFunction, Request, Response } from 'express';
import { PROBLEM_JSON } from '@upshift/contracts';
import { ProblemException, ProblemType } from '@upshift/http';

export const API_PREFIX = '/api/v1/registry';

/**
 * The paths the orchestrator serves itself (docs/api-contract.md); everything else under
 * /api/v1/registry belongs to the registry and is forwarded. Kept as explicit patterns next to the controller's routes.
 */
const OWN_PATHS: readonly RegExp[] = [
  /^\/tenants\/[^/]+\/upgrades\/?$/,
  /^\/tenants\/[^/]+\/events\/?$/,
  /^\/tenants\/[^/]+\/components\/[^/]+\/upgrades\/active\/?$/,
  /^\/components\/[^/]+\/upgrade-statistics\/?$/,
  /^\/upgrades(\/.*)?$/,
  // Both services' audit records, merged (ADR 0075).
  /^\/audit\/?$/,
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
        // The cause (with internal addresses) goes to the log only.
        const problem = new ProblemException(
          502,
          'Bad gateway',
          'The registry did not answer; retry later (the cause is logged).',
          {},
          { type: ProblemType.BAD_GATEWAY },
        ).toProblem(url);
        res.status(502).type(PROBLEM_JSON).send(JSON.stringify(problem));
      } else {
        res.destroy(error);
      }
    });
    req.pipe(upstream);
  };
}
