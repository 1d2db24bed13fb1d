import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'fs';
import { createServer } from 'http';
import type { Server } from 'http';
import { tmpdir } from 'os';
import { join } from 'path';
import request from 'supertest';
import { dashboardAssets } from './dashboard-assets';

/** The middleware in front of a server whose every other answer is "the API's": what must pass through. */
function serverWith(directory: string): Server {
  const serve = dashboardAssets(directory);
  return createServer((req, res) =>
    serve(req, res, () => {
      res.writeHead(299, { 'content-type': 'text/plain' });
      res.end(`api ${req.method} ${req.url}`);
    }),
  );
}

const VERB = { GET: 'get', POST: 'post', DELETE: 'delete' } as const;

describe('dashboardAssets', () => {
  let built: string;
  let missing: string;

  beforeAll(() => {
    built = mkdtempSync(join(tmpdir(), 'dashboard-built-'));
    mkdirSync(join(built, 'assets'));
    writeFileSync(join(built, 'index.html'), '<!doctype html><title>Upshift</title>');
    writeFileSync(join(built, 'assets', 'index-abc123.js'), 'console.log(1)');
    writeFileSync(join(built, 'assets', 'index-abc123.css'), 'body{}');
    writeFileSync(join(built, 'secret.txt'), 'not an asset');
    missing = join(built, 'nothing-here');
  });

  afterAll(() => rmSync(built, { recursive: true, force: true }));

  it('serves the page at / and /index.html, never cached, with a same-origin content security policy', async () => {
    for (const path of ['/', '/index.html', '/?x=1']) {
      const answer = await request(serverWith(built)).get(path).expect(200);
      expect(answer.text).toBe('<!doctype html><title>Upshift</title>');
      expect(answer.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(answer.headers['cache-control']).toBe('no-cache');
      expect(answer.headers['content-security-policy']).toContain("connect-src 'self'");
      expect(answer.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(answer.headers['referrer-policy']).toBe('no-referrer');
    }
    const head = await request(serverWith(built)).head('/').expect(200);
    expect(head.text).toBeUndefined();
  });

  it('serves hashed assets with their type, cached for good', async () => {
    const js = await request(serverWith(built)).get('/assets/index-abc123.js').expect(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(js.text).toBe('console.log(1)');
    const css = await request(serverWith(built)).get('/assets/index-abc123.css').expect(200);
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
  });

  it('answers 404 for an unknown asset, and never reaches outside the assets directory', async () => {
    await request(serverWith(built)).get('/assets/nope.js').expect(404);
    const escapes = [
      '/assets/../secret.txt',
      '/assets/%2e%2e%2fsecret.txt',
      '/assets/.hidden',
      '/assets/a/b.js',
    ];
    for (const path of escapes) {
      const answer = await request(serverWith(built)).get(path);
      expect(answer.text).not.toContain('not an asset');
    }
  });

  it('passes the API, health, metrics, other methods and every other path through untouched', async () => {
    const through = [
      ['GET', '/api/v1/registry/components'],
      ['GET', '/api/docs'],
      ['GET', '/health/live'],
      ['GET', '/health/ready'],
      ['GET', '/metrics'],
      ['GET', '/favicon.ico'],
      ['GET', '/secret.txt'],
      ['POST', '/'],
      ['DELETE', '/assets/index-abc123.js'],
    ] as const;
    for (const [method, path] of through) {
      const answer = await request(serverWith(built))[VERB[method]](path);
      expect({ path, status: answer.status, text: answer.text }).toEqual({
        path,
        status: 299,
        text: `api ${method} ${path}`,
      });
    }
  });

  it('answers a short page naming npm run build:dashboard when the files are missing, and no server path', async () => {
    const answer = await request(serverWith(missing)).get('/').expect(503);
    expect(answer.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(answer.text).toContain('npm run build:dashboard');
    expect(answer.text).not.toContain(missing);
    await request(serverWith(missing)).get('/assets/index-abc123.js').expect(404);
    const api = await request(serverWith(missing)).get('/health/live').expect(299);
    expect(api.text).toBe('api GET /health/live');
  });

  it('cuts the answer short when a file cannot be read after it was looked up, and keeps serving', async () => {
    // /proc/self/mem stats as a regular file and fails on the first read (EIO): a stand-in for an
    // asset that a rebuild removed between the lookup and the read.
    symlinkSync('/proc/self/mem', join(built, 'assets', 'unreadable-abc123.js'));
    const server = serverWith(built);
    await expect(request(server).get('/assets/unreadable-abc123.js')).rejects.toThrow();
    const js = await request(server).get('/assets/index-abc123.js').expect(200);
    expect(js.text).toBe('console.log(1)');
  });
});
