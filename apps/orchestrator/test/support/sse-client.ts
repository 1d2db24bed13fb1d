/** One event of a text/event-stream, as an EventSource would hand it over. */
export interface ReceivedEvent {
  id: string;
  event: string;
  data: string;
}

/** An open event stream read with fetch() and a bearer token (what the dashboard does). */
export class SseClient {
  private buffer = '';
  private readonly queue: ReceivedEvent[] = [];
  private done = false;
  private reader: ReadableStreamDefaultReader<Uint8Array> | null = null;
  /** Heartbeat comments seen. */
  comments = 0;

  private constructor(
    readonly status: number,
    readonly contentType: string,
    private readonly abort: AbortController,
  ) {}

  static async open(url: string, token: string | null, lastEventId?: string): Promise<SseClient> {
    const headers: Record<string, string> = {};
    if (token !== null) headers['authorization'] = `Bearer ${token}`;
    if (lastEventId !== undefined) headers['last-event-id'] = lastEventId;
    const abort = new AbortController();
    const res = await fetch(url, { headers, signal: abort.signal });
    const client = new SseClient(res.status, res.headers.get('content-type') ?? '', abort);
    if (res.body && client.contentType.startsWith('text/event-stream')) {
      client.reader = res.body.getReader();
    } else {
      client.body = await res.text();
      client.done = true;
    }
    return client;
  }

  /** The body of an answer that was not a stream (a problem, or nothing for 204). */
  body = '';

  /** The next event, or null once the server ended the stream. */
  async next(): Promise<ReceivedEvent | null> {
    const decoder = new TextDecoder();
    while (this.queue.length === 0 && !this.done && this.reader) {
      const chunk = await this.reader.read();
      if (chunk.done) {
        this.done = true;
        break;
      }
      this.buffer += decoder.decode(chunk.value, { stream: true });
      this.parse();
    }
    return this.queue.shift() ?? null;
  }

  /** Reads until `stop` says so (true: that event included) or the stream ends. */
  async readUntil(
    stop: (event: ReceivedEvent) => boolean,
  ): Promise<{ events: ReceivedEvent[]; ended: boolean }> {
    const events: ReceivedEvent[] = [];
    for (;;) {
      const event = await this.next();
      if (event === null) return { events, ended: true };
      events.push(event);
      if (stop(event)) return { events, ended: false };
    }
  }

  close(): void {
    this.abort.abort();
    this.reader?.cancel().catch(() => undefined);
  }

  private parse(): void {
    for (;;) {
      const end = this.buffer.indexOf('\n\n');
      if (end < 0) return;
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      const event: ReceivedEvent = { id: '', event: 'message', data: '' };
      let fields = 0;
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) {
          this.comments += 1;
          continue;
        }
        const colon = line.indexOf(':');
        const name = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (name === 'id' || name === 'event' || name === 'data') {
          event[name] = name === 'data' && event.data !== '' ? `${event.data}\n${value}` : value;
          fields += 1;
        }
      }
      if (fields > 0 && event.data !== '') this.queue.push(event);
    }
  }
}
