import { readEventStream } from './sse';
import type { StreamEvent } from './sse';

/** A body delivered in the given chunks, as a network would split it. */
function body(...chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
}

async function read(stream: ReadableStream<Uint8Array>): Promise<StreamEvent[]> {
  const events: StreamEvent[] = [];
  for await (const event of readEventStream(stream)) events.push(event);
  return events;
}

describe('readEventStream', () => {
  it('reads events split anywhere, skipping comments and the retry field', async () => {
    const events = await read(
      body(
        'retry: 2000\n\n: heart',
        'beat\n\nid: 1\nevent: Batch',
        'Started\ndata: {"a":1}\n',
        '\nid: 2\ndata: x\n\n',
      ),
    );
    expect(events).toEqual([
      { id: '1', event: 'BatchStarted', data: '{"a":1}' },
      { id: '2', event: 'message', data: 'x' },
    ]);
  });

  it('joins multi-line data, accepts CRLF line ends, and drops an unfinished last event', async () => {
    const events = await read(
      body('event: resync\r\ndata: one\r\ndata: two\r\n\r\n', 'id: 9\ndata: cut off'),
    );
    expect(events).toEqual([{ id: null, event: 'resync', data: 'one\ntwo' }]);
  });
});
