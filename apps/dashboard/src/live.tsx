import { useEffect, useRef, useState } from 'preact/hooks';
import type { Api } from './api';
import { followEventStream } from './event-stream';
import type { StreamState } from './event-stream';
import type { ProgressEnvelope } from './progress-history';

/**
 * Follows an event stream while the component is shown: each progress event goes to `onEvent` (the
 * latest one given), and the returned state says whether the page is live.
 */
export function useProgressStream(
  path: string | null,
  api: Pick<Api, 'token' | 'onUnauthorized'>,
  onEvent: (envelope: ProgressEnvelope) => void,
): { state: StreamState; detail: string | null } {
  const [state, setState] = useState<{ state: StreamState; detail: string | null }>({
    state: 'connecting',
    detail: null,
  });
  const handler = useRef(onEvent);
  handler.current = onEvent;
  useEffect(() => {
    if (path === null) return;
    const abort = new AbortController();
    void followEventStream(path, {
      token: api.token,
      onUnauthorized: api.onUnauthorized,
      signal: abort.signal,
      onState: (next, detail) => setState({ state: next, detail: detail ?? null }),
      onEvent: (event) => {
        // `resync` (events too old to replay) carries no envelope: the page re-reads on the next event.
        if (event.event === 'resync') return;
        handler.current(JSON.parse(event.data) as ProgressEnvelope);
      },
    });
    return () => abort.abort();
  }, [path, api]);
  return state;
}

/** Calls `action` at most once per `ms`, trailing: a burst of events costs one request. */
export function useThrottled(action: () => void, ms: number): () => void {
  const latest = useRef(action);
  latest.current = action;
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(
    () => () => {
      if (timer.current !== null) clearTimeout(timer.current);
    },
    [],
  );
  return () => {
    if (timer.current !== null) return;
    timer.current = setTimeout(() => {
      timer.current = null;
      latest.current();
    }, ms);
  };
}

const STATE_TEXT: Readonly<Record<StreamState, string>> = {
  connecting: 'connecting…',
  live: 'live',
  reconnecting: 'reconnecting…',
  ended: 'finished: no more events',
  refused: 'not available',
};

export function StreamIndicator({ state }: { state: StreamState }) {
  return (
    <span class={`stream stream-${state}`} data-stream-state={state}>
      <span aria-hidden="true">●</span> {STATE_TEXT[state]}
    </span>
  );
}
