import express from 'express';
import * as http from 'http';
import type { AddressInfo } from 'net';
import { ProblemType } from '../src/problem';
import {
  carriesBody,
  isJsonMediaType,
  JSON_MEDIA_TYPES,
  requireJsonBodies,
} from '../src/json-body.middleware';

interface Answer {
  status: number;
  contentType: string;
  body: Record<string, unknown>;
}

/**
 * The gate in front of a real Express app with the JSON parser the services use (same media types),
 * over real HTTP: what a client sees for each kind of body.
 */
describe('requireJsonBodies', () => {
  let server: http.Server;
  let port: number;

  beforeAll(async () => {
    const app = express();
    app.use(requireJsonBodies());
    app.use(express.json({ type: [...JSON_MEDIA_TYPES] }));
    app.all('/echo', (req, res) => {
      res.json({ body: (req.body as unknown) ?? null });
    });
    server = http.createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  /** A raw request, so that the test decides every header (fetch would add a content type). */
  function send(
    method: string,
    headers: http.OutgoingHttpHeaders,
    body?: string | string[],
  ): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, path: '/echo', method, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            contentType: String(res.headers['content-type'] ?? ''),
            body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>,
          }),
        );
      });
      req.on('error', reject);
      for (const part of Array.isArray(body) ? body : body === undefined ? [] : [body]) req.write(part);
      req.end();
    });
  }

  const json = '{"componentId":"x"}';
  const length = (text: string) => ({ 'content-length': Buffer.byteLength(text) });

  it('refuses a text/plain body with 415 problem+json that says which content type to send', async () => {
    const answer = await send('POST', { 'content-type': 'text/plain', ...length(json) }, json);
    expect(answer.status).toBe(415);
    expect(answer.contentType).toContain('application/problem+json');
    expect(answer.body).toEqual({
      type: ProblemType.UNSUPPORTED_MEDIA_TYPE,
      title: 'Unsupported media type',
      status: 415,
      detail:
        'The request body must be JSON: send it with Content-Type: application/json (it was sent as text/plain).',
      instance: '/echo',
    });
  });

  it('refuses a body without any content type, saying so', async () => {
    const answer = await send('POST', length(json), json);
    expect(answer.status).toBe(415);
    expect(answer.body['detail']).toContain('the request has no Content-Type');
  });

  it('refuses a form body instead of parsing it into unknown fields', async () => {
    const form = 'componentId=x&fromVersionId=y';
    const answer = await send(
      'POST',
      { 'content-type': 'application/x-www-form-urlencoded', ...length(form) },
      form,
    );
    expect(answer.status).toBe(415);
    expect(JSON.stringify(answer.body)).not.toContain('fromVersionId');
  });

  it('refuses a chunked body that is not JSON', async () => {
    const answer = await send('PUT', { 'content-type': 'text/csv', 'transfer-encoding': 'chunked' }, [
      'a,b\n',
      '1,2\n',
    ]);
    expect(answer.status).toBe(415);
  });

  it('lets JSON through, with parameters and +json types, and the parser reads it', async () => {
    for (const type of [
      'application/json',
      'Application/JSON; charset=utf-8',
      'application/merge-patch+json',
    ]) {
      const answer = await send('POST', { 'content-type': type, ...length(json) }, json);
      expect({ type, status: answer.status, body: answer.body }).toEqual({
        type,
        status: 200,
        body: { body: { componentId: 'x' } },
      });
    }
  });

  it('lets a body-less POST through without a content type, or with any content type and no body', async () => {
    expect((await send('POST', {})).status).toBe(200);
    expect((await send('POST', { 'content-length': 0 })).status).toBe(200);
    expect((await send('POST', { 'content-type': 'text/plain', 'content-length': 0 })).status).toBe(200);
  });
});

describe('isJsonMediaType and carriesBody', () => {
  it.each<[string | undefined, boolean]>([
    ['application/json', true],
    ['application/json;charset=UTF-8', true],
    ['application/problem+json', true],
    ['application/vnd.upshift.v1+json', true],
    ['text/plain', false],
    ['text/json', false],
    ['application/jsonp', false],
    ['application/x-www-form-urlencoded', false],
    ['multipart/form-data; boundary=x', false],
    ['', false],
    [undefined, false],
  ])('%s is JSON: %s', (type, expected) => {
    expect(isJsonMediaType(type)).toBe(expected);
  });

  it.each<[Record<string, string>, boolean]>([
    [{}, false],
    [{ 'content-length': '0' }, false],
    [{ 'content-length': '12' }, true],
    [{ 'transfer-encoding': 'chunked' }, true],
  ])('%j carries a body: %s', (headers, expected) => {
    expect(carriesBody(headers)).toBe(expected);
  });
});
