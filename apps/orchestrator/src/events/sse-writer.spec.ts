import type { AddressInfo } from 'net';
import type { Server } from 'http';
import express from 'express';
import { SseWriter } from './sse-writer';

/** The writer on a real HTTP connection: what a client reads, byte for byte. */
describe('SseWriter', () => {
  let server: Server;
  let writer: SseWriter | null = null;
  const opened: (() => void)[] = [];

  beforeAll(async () => {
    const app = express();
    app.get('/stream', (_req, res) => {
      writer = new SseWriter(res, 20, 1_500);
      for (const notify of opened.splice(0)) notify();
    });
    server = await new Promise<Server>((resolve) => {
      const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
    });
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('sends the retry delay, heartbeat comments while idle, then events, and ends', async () => {
    const ready = new Promise<void>((resolve) => opened.push(resolve));
    const { port } = server.address() as AddressInfo;
    const res = await fetch(`http://127.0.0.1:${port}/stream`);
    await ready;
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-cache, no-transform');
    const reader = res.body?.getReader();
    if (!reader || !writer) throw new Error('no stream');
    const decoder = new TextDecoder();
    let received = '';
    // Idle: heartbeats come on their own.
    while (!received.includes(': heartbeat\n\n')) {
      const chunk = await reader.read();
      if (chunk.done) break;
      received += decoder.decode(chunk.value, { stream: true });
    }
    const stream: SseWriter = writer;
    await stream.send({ id: '7', event: 'BatchStarted', data: '{"sequence":7}' });
    stream.end();
    for (;;) {
      const chunk = await reader.read();
      if (chunk.done) break;
      received += decoder.decode(chunk.value, { stream: true });
    }
    expect(received.startsWith('retry: 1500\n\n: heartbeat\n\n')).toBe(true);
    expect(received.endsWith('id: 7\nevent: BatchStarted\ndata: {"sequence":7}\n\n')).toBe(true);
    expect(received.replace(/: heartbeat\n\n/g, '')).toBe(
      'retry: 1500\n\nid: 7\nevent: BatchStarted\ndata: {"sequence":7}\n\n',
    );
    expect(stream.closed).toBe(true);
  });

  it('wakes a sleeping stream loop as soon as the client goes away', async () => {
    const ready = new Promise<void>((resolve) => opened.push(resolve));
    const { port } = server.address() as AddressInfo;
    const abort = new AbortController();
    const res = await fetch(`http://127.0.0.1:${port}/stream`, { signal: abort.signal });
    await ready;
    if (!writer) throw new Error('no stream');
    const stream: SseWriter = writer;
    const slept = stream.sleep(3_600_000);
    abort.abort();
    await res.body?.cancel().catch(() => undefined);
    await slept;
    expect(stream.closed).toBe(true);
  });
});
