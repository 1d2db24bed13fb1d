/** One event of a text/event-stream. */
export interface StreamEvent {
  id: string | null;
  event: string;
  data: string;
}

/**
 * The events of a text/event-stream body, as the SSE spec parses them: fields up to a blank line,
 * comment lines (heartbeats) skipped, multi-line data joined with "\n".
 */
export async function* readEventStream(body: ReadableStream<Uint8Array>): AsyncGenerator<StreamEvent> {
  const decoder = new TextDecoder();
  let buffer = '';
  let current: { id: string | null; event: string; data: string[] } = {
    id: null,
    event: 'message',
    data: [],
  };
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let newline: number;
    while ((newline = buffer.search(/\r\n|\n|\r/)) >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + (buffer.startsWith('\r\n', newline) ? 2 : 1));
      if (line === '') {
        if (current.data.length > 0)
          yield { id: current.id, event: current.event, data: current.data.join('\n') };
        current = { id: null, event: 'message', data: [] };
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'data') current.data.push(value);
      else if (field === 'event') current.event = value;
      else if (field === 'id') current.id = value;
    }
  }
}
