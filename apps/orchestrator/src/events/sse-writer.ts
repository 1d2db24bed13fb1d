import type { Response } from 'express';

export interface ServerSentEvent {
  id: string;
  event: string;
  /** One line of JSON (no newline): sent as a single `data:` field. */
  data: string;
}

/**
 * One text/event-stream response: events, heartbeat comments so that idle proxies keep the connection,
 * and back-pressure (a slow client slows its own stream, not the process's memory).
 */
export class SseWriter {
  private closedFlag = false;
  private readonly heartbeat: NodeJS.Timeout;
  private readonly wakers = new Set<() => void>();

  constructor(
    private readonly res: Response,
    heartbeatMs: number,
    /** How long a browser's EventSource waits before reconnecting (the `retry:` field). */
    retryMs: number,
  ) {
    res.status(200);
    res.setHeader('content-type', 'text/event-stream; charset=utf-8');
    res.setHeader('cache-control', 'no-cache, no-transform');
    res.setHeader('connection', 'keep-alive');
    // nginx buffers responses unless told not to.
    res.setHeader('x-accel-buffering', 'no');
    res.socket?.setNoDelay(true);
    res.socket?.setTimeout(0);
    res.flushHeaders();
    res.on('close', () => this.markClosed());
    res.write(`retry: ${retryMs}\n\n`);
    this.heartbeat = setInterval(() => {
      if (!this.closedFlag) res.write(': heartbeat\n\n');
    }, heartbeatMs);
    this.heartbeat.unref();
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  async send(event: ServerSentEvent): Promise<void> {
    if (this.closedFlag) return;
    const written = this.res.write(`id: ${event.id}\nevent: ${event.event}\ndata: ${event.data}\n\n`);
    if (!written) await this.until((wake) => this.res.once('drain', wake));
  }

  /** Resolves after `ms`, or at once when the client goes away or the stream is ended. */
  sleep(ms: number): Promise<void> {
    return this.until((wake) => {
      const timer = setTimeout(wake, ms);
      timer.unref();
    });
  }

  end(): void {
    if (this.closedFlag) return;
    this.markClosed();
    this.res.end();
  }

  private until(arm: (wake: () => void) => void): Promise<void> {
    if (this.closedFlag) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        this.wakers.delete(wake);
        resolve();
      };
      this.wakers.add(wake);
      arm(wake);
    });
  }

  private markClosed(): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    clearInterval(this.heartbeat);
    for (const wake of [...this.wakers]) wake();
  }
}
