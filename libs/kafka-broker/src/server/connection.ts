import type { Socket } from 'net';
import { apiVersionsBody, apiVersionsResponse } from '../api/18-api-versions';
import type { BrokerContext, RequestContext, SaslSession } from '../api/handler';
import { HANDLERS } from '../api/index';
import { ApiKey, apiRange, isSupported } from '../api/versions';
import { ErrorCode } from '../protocol/error-codes';
import { readRequestHeader, type RequestHeader, startResponse } from '../protocol/headers';
import { MalformedFrameError, Reader } from '../protocol/reader';
import { Writer } from '../protocol/writer';
import { FrameDecoder } from './frame-decoder';

export interface ConnectionOptions {
  maxFrameBytes: number;
  /**
   * With SASL on, the largest frame accepted before the client has authenticated (Kafka's
   * sasl.server.max.receive.size): an anonymous peer cannot make the broker buffer maxFrameBytes.
   */
  maxPreAuthFrameBytes: number;
  /** Stop reading from a client while this many requests wait to be processed. */
  maxQueuedRequests: number;
}

/** Requests allowed before SASL authentication completes (when SASL is on). */
const PRE_AUTH_APIS = new Set<number>([ApiKey.ApiVersions, ApiKey.SaslHandshake, ApiKey.SaslAuthenticate]);

const isFlexibleRequest = (apiKey: number, version: number): boolean => {
  const r = apiRange(apiKey);
  return r !== undefined && version >= r.flexibleFrom && version <= r.maxVersion;
};

/**
 * One client connection. Requests are processed one at a time, in arrival order, as Kafka does
 * (it mutes a channel while a request is in flight): pipelined requests queue behind a parked Fetch
 * and are answered in order. Back-pressure both ways: reading pauses while too many requests are
 * queued or while the socket's write buffer is over its high-water mark (a slow reader).
 */
export class Connection {
  private readonly decoder: FrameDecoder;
  private readonly queue: Buffer[] = [];
  private processing = false;
  private closed = false;
  private readonly abort = new AbortController();
  private readonly sasl: SaslSession = {
    stage: 'none',
    exchange: null,
    principal: null,
    closeAfterResponse: false,
  };
  readonly clientHost: string;

  constructor(
    private readonly socket: Socket,
    private readonly broker: BrokerContext,
    private readonly opts: ConnectionOptions,
    private readonly onClose: (c: Connection) => void,
  ) {
    this.decoder = broker.saslUsers
      ? new FrameDecoder(
          Math.min(opts.maxPreAuthFrameBytes, opts.maxFrameBytes),
          'sasl.server.max.receive.size',
        )
      : new FrameDecoder(opts.maxFrameBytes);
    this.clientHost = socket.remoteAddress ?? 'unknown';
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => this.pump());
    socket.on('error', (err) =>
      this.broker.logger.debug({ err: err.message, clientHost: this.clientHost }, 'connection error'),
    );
    socket.on('close', () => this.teardown());
  }

  private onData(chunk: Buffer): void {
    let frames: Buffer[];
    try {
      frames = this.decoder.push(chunk);
    } catch (err) {
      this.fail('oversized or malformed frame', err);
      return;
    }
    for (const f of frames) this.queue.push(f);
    if (this.queue.length >= this.opts.maxQueuedRequests) this.socket.pause();
    this.pump();
  }

  /** Processes queued requests one at a time while the socket can take more output. */
  private pump(): void {
    if (this.processing || this.closed) return;
    if (this.socket.writableNeedDrain) return; // resumed by 'drain'
    const frame = this.queue.shift();
    if (!frame) {
      if (this.socket.isPaused()) this.socket.resume();
      return;
    }
    if (this.queue.length < this.opts.maxQueuedRequests && this.socket.isPaused()) this.socket.resume();
    this.processing = true;
    this.process(frame).then(
      () => {
        this.processing = false;
        this.pump();
      },
      (err: unknown) => {
        this.processing = false;
        this.fail('request failed', err);
      },
    );
  }

  private async process(frame: Buffer): Promise<void> {
    if (this.sasl.stage === 'raw') {
      this.rawSaslToken(frame);
      this.afterSaslStep();
      return;
    }
    const r = new Reader(frame);
    const header = readRequestHeader(r, isFlexibleRequest);
    if (this.broker.saslUsers && this.sasl.stage !== 'done' && !PRE_AUTH_APIS.has(header.apiKey)) {
      this.fail(`request ${header.apiKey} before SASL authentication`, null);
      return;
    }
    const handler = HANDLERS.get(header.apiKey);
    if (!handler || !isSupported(header.apiKey, header.apiVersion)) {
      this.unsupported(header);
      return;
    }
    const request = handler.request.decode(r, header.apiVersion);
    const ctx: RequestContext = {
      broker: this.broker,
      header,
      clientHost: this.clientHost,
      signal: this.abort.signal,
      sasl: this.sasl,
    };
    const response = await handler.handle(request, ctx);
    if (response === null || this.closed) return;
    // ApiVersions keeps response header v0 in every version so any client can parse it (KIP-511).
    const headerVersion =
      header.apiKey !== ApiKey.ApiVersions && isFlexibleRequest(header.apiKey, header.apiVersion) ? 1 : 0;
    const w = startResponse(header.correlationId, headerVersion);
    handler.response.encode(w, header.apiVersion, response);
    this.send(w);
    if (this.sasl.closeAfterResponse) this.socket.end();
    this.afterSaslStep();
  }

  /** Once authenticated, frames may be as large as for any client (the pre-auth cap is lifted). */
  private afterSaslStep(): void {
    if (this.sasl.stage === 'done' && this.decoder.maxFrameBytes !== this.opts.maxFrameBytes)
      this.decoder.raiseLimit(this.opts.maxFrameBytes);
  }

  /**
   * An API key or version outside versions.ts. ApiVersions gets a v0 answer with
   * UNSUPPORTED_VERSION and our table, so the client can retry with a version we support; any other
   * API gets a bare UNSUPPORTED_VERSION error code after the header.
   */
  private unsupported(header: RequestHeader): void {
    this.broker.logger.warn(
      {
        apiKey: header.apiKey,
        apiVersion: header.apiVersion,
        clientId: header.clientId,
        clientHost: this.clientHost,
      },
      'unsupported API key or version',
    );
    const w = startResponse(header.correlationId, 0);
    if (header.apiKey === ApiKey.ApiVersions)
      apiVersionsResponse.encode(w, 0, apiVersionsBody(ErrorCode.UNSUPPORTED_VERSION));
    else w.int16(ErrorCode.UNSUPPORTED_VERSION);
    this.send(w);
  }

  /**
   * After SaslHandshake v0 every frame is a bare token of the exchange, answered by a bare frame
   * (PLAIN: one empty answer; SCRAM: server-first, then server-final). A failure just closes the
   * connection, as Kafka does: v0 has no way to carry an error.
   */
  private rawSaslToken(frame: Buffer): void {
    const exchange = this.sasl.exchange;
    const step = exchange ? exchange.step(frame) : null;
    if (!step || step.kind === 'failed') {
      this.broker.logger.warn(
        { clientHost: this.clientHost, mechanism: exchange?.mechanism, reason: step?.reason },
        'SASL authentication failed',
      );
      this.socket.end();
      this.closed = true;
      return;
    }
    if (step.kind === 'done') {
      this.sasl.stage = 'done';
      this.sasl.exchange = null;
      this.sasl.principal = step.principal;
      this.broker.logger.info(
        { user: step.principal, mechanism: exchange?.mechanism, clientHost: this.clientHost },
        'SASL authenticated',
      );
    }
    const w = new Writer(8 + step.response.length);
    w.int32(0).raw(step.response);
    this.send(w);
  }

  private send(w: Writer): void {
    if (this.closed) return;
    const { chunks, length } = w.finish();
    chunks[0].writeInt32BE(length - 4, 0);
    if (chunks.length === 1) {
      this.socket.write(chunks[0]);
      return;
    }
    // Corked writes leave as one writev: header and record batches together, without a copy.
    this.socket.cork();
    for (const c of chunks) this.socket.write(c);
    this.socket.uncork();
  }

  private fail(reason: string, err: unknown): void {
    const level =
      err instanceof MalformedFrameError ||
      err === null ||
      (err instanceof Error && err.name === 'FrameTooLargeError')
        ? 'warn'
        : 'error';
    this.broker.logger[level](
      {
        clientHost: this.clientHost,
        reason,
        err: err instanceof Error ? err.message : undefined,
        stack: level === 'error' && err instanceof Error ? err.stack : undefined,
      },
      'closing connection',
    );
    this.close();
  }

  close(): void {
    if (!this.closed) {
      this.closed = true;
      this.socket.destroy();
    }
    this.teardown();
  }

  private teardown(): void {
    this.closed = true;
    this.queue.length = 0;
    if (!this.abort.signal.aborted) {
      this.abort.abort();
      this.onClose(this);
    }
  }
}
