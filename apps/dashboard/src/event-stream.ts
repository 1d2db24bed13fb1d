import { API_PREFIX } from './api';

/** One event of a text/event-stream. */
export interface StreamEvent {
  id: string | null;
  event: string;
  data: string;
}

export type StreamState = 'connecting' | 'live' | 'reconnecting' | 'ended' | 'refused';

export interface FollowOptions {
  token: string;
  onEvent: (event: StreamEvent) => void;
  onState: (state: StreamState, detail?: string) => void;
  /** A 401 on (re)connecting: the token expired while the page was open, as Api's requests report it. */
  onUnauthorized: () => void;
  signal: AbortSignal;
}

/**
 * Follows one of the API's event streams (docs/api-contract.md, "Event streams") with `fetch()`, since an
 * `EventSource` cannot send the bearer header (ADR 0084). A dropped connection is retried after the
 * server's `retry:` delay with `Last-Event-ID`, so the events continue without a gap or a repeat; a 204
 * (an execution's stream with nothing left) ends it; 401, 403 and 404 stop it, a 401 signing the tab out.
 */
export async function followEventStream(path: string, options: FollowOptions): Promise<void> {
  let lastEventId: string | null = null;
  let retryMs = 2000;
  let first = true;
  while (!options.signal.aborted) {
    options.onState(first ? 'connecting' : 'reconnecting');
    first = false;
    try {
      const headers: Record<string, string> = {
        authorization: `Bearer ${options.token}`,
        accept: 'text/event-stream',
      };
      if (lastEventId !== null) headers['last-event-id'] = lastEventId;
      const answer = await fetch(API_PREFIX + path, { headers, signal: options.signal, cache: 'no-store' });
      if (answer.status === 204) return options.onState('ended');
      if (answer.status === 401) options.onUnauthorized();
      if ([401, 403, 404].includes(answer.status)) return options.onState('refused', `HTTP ${answer.status}`);
      if (!answer.ok || answer.body === null) throw new Error(`HTTP ${answer.status}`);
      options.onState('live');
      for await (const field of readFields(answer.body)) {
        if (field.retry !== undefined) retryMs = field.retry;
        if (field.event === undefined) continue;
        if (field.event.id !== null) lastEventId = field.event.id;
        options.onEvent(field.event);
      }
    } catch (error) {
      if (options.signal.aborted) return;
      options.onState('reconnecting', error instanceof Error ? error.message : String(error));
    }
    await sleep(retryMs, options.signal);
  }
}

/** The events of a stream body, parsed as the HTML standard's event-stream interpretation says. */
async function* readFields(
  body: ReadableStream<Uint8Array>,
): AsyncGenerator<{ event?: StreamEvent; retry?: number }> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let id: string | null = null;
  let event = 'message';
  let data: string[] = [];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let newline: number;
    while ((newline = buffer.search(/\r\n|\n|\r/)) >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + (buffer.startsWith('\r\n', newline) ? 2 : 1));
      if (line === '') {
        if (data.length > 0) yield { event: { id, event, data: data.join('\n') } };
        id = null;
        event = 'message';
        data = [];
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const name = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (name === 'data') data.push(value);
      else if (name === 'event') event = value;
      else if (name === 'id') id = value;
      else if (name === 'retry' && /^\d+$/.test(value)) yield { retry: Number(value) };
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });
}
