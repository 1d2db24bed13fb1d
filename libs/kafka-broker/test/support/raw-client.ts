import * as net from 'net';
import * as tls from 'tls';
import { Reader } from '../../src/protocol/reader';
import { Writer } from '../../src/protocol/writer';
import { FrameDecoder } from '../../src/server/frame-decoder';

/**
 * A bare Kafka-protocol client for tests that must control the bytes: hand-built headers,
 * pipelining, malformed frames. Responses are returned in arrival order with their correlation id.
 */
export class RawClient {
  private readonly decoder = new FrameDecoder(512 * 1024 * 1024);
  private readonly frames: Buffer[] = [];
  private waiters: (() => void)[] = [];
  private nextCorrelationId = 1;
  closed = false;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      for (const f of this.decoder.push(chunk)) this.frames.push(f);
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  static connect(port: number, host = '127.0.0.1'): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, host, () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }

  /** The same over TLS, trusting `ca` (PEM) for a broker certificate made for 127.0.0.1. */
  static connectTls(port: number, ca: Buffer, host = '127.0.0.1'): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = tls.connect({ port, host, ca }, () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }

  /** Sends one request with header v1 (or v2 when flexible); returns its correlation id. */
  send(
    apiKey: number,
    apiVersion: number,
    body: (w: Writer) => void,
    opts: { flexibleHeader?: boolean; clientId?: string } = {},
  ): number {
    const correlationId = this.nextCorrelationId++;
    const w = new Writer();
    w.int32(0)
      .int16(apiKey)
      .int16(apiVersion)
      .int32(correlationId)
      .nullableString(opts.clientId ?? 'raw-client');
    if (opts.flexibleHeader) w.emptyTaggedFields();
    body(w);
    const frame = w.toBuffer();
    frame.writeInt32BE(frame.length - 4, 0);
    this.socket.write(frame);
    return correlationId;
  }

  writeRaw(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** The next response frame: a reader positioned after the correlation id (header v0). */
  async receive(timeoutMs = 15_000): Promise<{ correlationId: number; body: Reader }> {
    const started = Date.now();
    while (this.frames.length === 0) {
      if (this.closed) throw new Error('connection closed by the broker');
      if (Date.now() - started > timeoutMs) throw new Error('no response');
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
    const frame = this.frames.shift() as Buffer;
    const r = new Reader(frame);
    return { correlationId: r.int32(), body: r };
  }

  /** Resolves when the broker has closed the connection. */
  async waitClosed(timeoutMs = 10_000): Promise<void> {
    const started = Date.now();
    while (!this.closed) {
      if (Date.now() - started > timeoutMs) throw new Error('connection still open');
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  close(): void {
    this.socket.destroy();
  }
}
