import { createReadStream, existsSync, statSync } from 'fs';
import type { IncomingMessage, ServerResponse } from 'http';
import { join } from 'path';
import { pipeline } from 'stream';

/**
 * The operators' dashboard (apps/dashboard) as static files at `/` of the one base URL
 * (docs/adr/0089-dashboard-served-by-the-orchestrator.md). It answers exactly `GET|HEAD /`,
 * `/index.html` and `/assets/<file>`, and passes every other request on untouched, so it cannot shadow
 * `/api`, `/health` or `/metrics`. The files need no token: they hold no data; the data comes from the
 * API, with the bearer token the signed-in browser sends.
 */
export function dashboardAssets(directory: string) {
  return (req: IncomingMessage, res: ServerResponse, next: () => void): void => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    const pathname = (req.url ?? '/').split('?')[0] ?? '/';
    if (pathname === '/' || pathname === '/index.html') return sendIndex(directory, req, res);
    const asset = ASSET_PATH.exec(pathname);
    if (asset === null) return next();
    const file = join(directory, 'assets', asset[1] as string);
    if (!isFile(file)) return notFound(res);
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'content-type': contentType(file),
      'content-length': String(statSync(file).size),
      // Vite names every asset by its content hash: a changed file is a new name.
      'cache-control': 'public, max-age=31536000, immutable',
    });
    if (req.method === 'HEAD') return void res.end();
    sendFile(file, res);
  };
}

/** One file name under /assets: no directories, so no way out of the directory. */
const ASSET_PATH = /^\/assets\/([A-Za-z0-9][A-Za-z0-9._-]*)$/;

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  // Everything the page loads or calls is this origin's; no inline script, no framing.
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  // The sign-in link carries a token in its fragment; fragments are never sent, and neither is the page.
  'referrer-policy': 'no-referrer',
};

const TYPES: Readonly<Record<string, string>> = {
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
  png: 'image/png',
  woff2: 'font/woff2',
  json: 'application/json',
};

function contentType(file: string): string {
  return TYPES[file.slice(file.lastIndexOf('.') + 1)] ?? 'application/octet-stream';
}

function isFile(file: string): boolean {
  return existsSync(file) && statSync(file).isFile();
}

function sendIndex(directory: string, req: IncomingMessage, res: ServerResponse): void {
  const index = join(directory, 'index.html');
  // Looked up per request: assets built after the orchestrator started are served without a restart.
  if (!isFile(index)) {
    const body = NOT_BUILT;
    res.writeHead(503, {
      ...SECURITY_HEADERS,
      'content-type': 'text/html; charset=utf-8',
      'content-length': String(Buffer.byteLength(body)),
      'cache-control': 'no-store',
    });
    return void res.end(req.method === 'HEAD' ? undefined : body);
  }
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    'content-type': 'text/html; charset=utf-8',
    'content-length': String(statSync(index).size),
    // The page names the current hashed assets: always asked again.
    'cache-control': 'no-cache',
  });
  if (req.method === 'HEAD') return void res.end();
  sendFile(index, res);
}

/**
 * The file's bytes after the headers. A read that fails (the file removed by a rebuild since it was
 * looked up) cuts the response short, so the client sees an incomplete answer; with a bare pipe() the
 * stream's error went unhandled and ended the orchestrator.
 */
function sendFile(file: string, res: ServerResponse): void {
  pipeline(createReadStream(file), res, (error) => {
    if (error) res.destroy();
  });
}

function notFound(res: ServerResponse): void {
  res.writeHead(404, { ...SECURITY_HEADERS, 'content-type': 'text/plain; charset=utf-8' });
  res.end('Not found\n');
}

// No server path in it: the page is public.
const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Upshift dashboard not built</title></head>
<body><h1>The dashboard is not built</h1>
<p>Run <code>npm run build:dashboard</code> in the checkout (or point <code>DASHBOARD_DIR</code> at the built
files), then reload this page. The API under <code>/api/v1/registry</code> works without it.</p>
</body></html>
`;
