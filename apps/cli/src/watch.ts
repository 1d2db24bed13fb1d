import type { EventEnvelope, ProgressEvent, UpgradeExecutionView } from '@upshift/contracts';
import { causeOf } from './api-client';
import type { ApiClient } from './api-client';
import { ApiError, apiErrorFrom, CliError, UnreachableError } from './errors';
import { ExitCode } from './exit-codes';
import type { ExitCodeValue } from './exit-codes';
import { bar } from './output';
import type { Io, OutputFormat } from './output';
import { readEventStream } from './sse';

/** How each terminal status ends `watch` (README "CLI", exit codes). */
const EXIT_BY_STATUS: Record<string, ExitCodeValue> = {
  COMPLETED: ExitCode.OK,
  FAILED: ExitCode.FAILED,
  ROLLED_BACK: ExitCode.FAILED,
  CANCELLED: ExitCode.CANCELLED,
};

export interface WatchOptions {
  format: OutputFormat;
  /** Give up after this long without a connection (the orchestrator down, unreachable). */
  reconnectTimeoutMs: number;
}

interface BatchProgress {
  size: number;
  completed: number;
  failed: number;
}

/**
 * Follows an execution's event stream (ADR 0084) to its end: prints each step as it happens, resumes
 * with Last-Event-ID after a lost connection (nothing missed, nothing twice), and returns the exit code
 * of the status it ended in.
 */
export class ExecutionWatcher {
  private lastEventId: string | undefined;
  private lastSequence = 0;
  private status: string;
  private readonly batches = new Map<number, BatchProgress>();
  private readonly names = new Map<string, string>();

  constructor(
    private readonly api: ApiClient,
    private readonly view: UpgradeExecutionView,
    private readonly io: Io,
    private readonly options: WatchOptions,
  ) {
    this.status = view.status;
    for (const instance of view.instances) this.names.set(instance.id, instance.name);
  }

  async run(): Promise<ExitCodeValue> {
    if (this.options.format === 'table') {
      const v = this.view;
      this.io.out(
        `watching ${v.id}: ${v.strategy}, ${v.totalInstances} instances, ${v.totalBatches} batches, status ${v.status}`,
      );
    }
    let lostSince: number | null = null;
    let delayMs = 250;
    for (;;) {
      let outcome: 'ended' | 'no-content';
      try {
        outcome = await this.follow(() => {
          lostSince = null;
          delayMs = 250;
        });
      } catch (error) {
        if (!retryable(error)) throw error;
        lostSince ??= Date.now();
        if (Date.now() - lostSince > this.options.reconnectTimeoutMs) {
          throw error instanceof CliError
            ? error
            : new UnreachableError(this.api.connection.url, causeOf(error));
        }
        this.io.err(
          `connection lost (${describe(error)}); reconnecting` +
            (this.lastEventId === undefined ? '' : ` after event ${this.lastEventId}`),
        );
        await sleep(delayMs);
        delayMs = Math.min(delayMs * 2, 2_000);
        continue;
      }
      if (outcome === 'no-content') {
        // Everything was sent already: the execution's status says how it ended.
        const view = await this.api.get<UpgradeExecutionView>(`/upgrades/${this.view.id}`);
        this.status = view.status;
      }
      const code = EXIT_BY_STATUS[this.status];
      if (code !== undefined) {
        if (this.options.format === 'table') this.io.out(`${this.status}`);
        return code;
      }
      // The server closed a stream of a running execution (it is shutting down): resume elsewhere.
      this.io.err(`stream ended while ${this.status}; reconnecting after event ${this.lastEventId ?? '-'}`);
      await sleep(delayMs);
    }
  }

  /** One connection: reads until the server ends the stream. */
  private async follow(connected: () => void): Promise<'ended' | 'no-content'> {
    const headers = this.api.headers({ accept: 'text/event-stream' });
    if (this.lastEventId !== undefined) headers['last-event-id'] = this.lastEventId;
    const res = await this.api.fetch(this.api.url(`/upgrades/${this.view.id}/events`), { headers });
    if (res.status === 204) return 'no-content';
    if (!res.ok || !res.body) throw apiErrorFrom(res.status, res.statusText, await res.text());
    connected();
    for await (const event of readEventStream(res.body)) {
      if (event.event === 'resync') {
        this.io.err(`some events are no longer kept: ${event.data}`);
      } else {
        const envelope = JSON.parse(event.data) as EventEnvelope<ProgressEvent>;
        // A stream never repeats an event; should one come twice anyway, it is shown once.
        if (envelope.sequence <= this.lastSequence) continue;
        this.lastSequence = envelope.sequence;
        this.show(envelope);
      }
      if (event.id !== null) this.lastEventId = event.id;
    }
    return 'ended';
  }

  private show(envelope: EventEnvelope<ProgressEvent>): void {
    const e = envelope.data;
    if (e.kind === 'ExecutionStatusChanged') this.status = e.to;
    if (this.options.format === 'json') {
      this.io.out(JSON.stringify(envelope));
      return;
    }
    const line = this.describe(e);
    if (line !== null) this.io.out(line);
  }

  private describe(e: ProgressEvent): string | null {
    const batches = this.view.totalBatches;
    switch (e.kind) {
      case 'ExecutionCreated':
        for (const i of e.instances) this.names.set(i.instanceId, i.instanceName);
        return `created: ${e.strategy}, ${e.totalInstances} instances`;
      case 'ExecutionStatusChanged':
        return `status ${e.from} → ${e.to}${e.reason ? ` (${e.reason})` : ''}`;
      case 'ValidationCheckCompleted':
        return `check ${e.check}: ${e.passed ? 'passed' : 'FAILED'}${e.detail ? ` (${e.detail})` : ''}`;
      case 'BatchStarted':
        this.batches.set(e.batch, { size: e.instanceIds.length, completed: 0, failed: 0 });
        return `batch ${e.batch}/${batches} started: ${e.instanceIds.length} instances`;
      case 'InstanceStatusChanged': {
        const name = e.instanceName || this.names.get(e.instanceId) || e.instanceId;
        if (e.to === 'ROLLED_BACK') return `instance ${name} rolled back`;
        if (e.to !== 'COMPLETED' && e.to !== 'FAILED') return null;
        const batch = e.batch === null ? undefined : this.batches.get(e.batch);
        if (batch) batch[e.to === 'COMPLETED' ? 'completed' : 'failed'] += 1;
        const failure = e.to === 'FAILED' ? `instance ${name} FAILED${e.error ? `: ${e.error}` : ''}` : null;
        const progress = batch
          ? `batch ${e.batch}/${batches} ${bar(batch.completed + batch.failed, batch.size)} ` +
            `${batch.completed}/${batch.size} upgraded, ${batch.failed} failed`
          : null;
        return [failure, progress].filter((l) => l !== null).join('\n') || null;
      }
      case 'BatchCompleted':
        return `batch ${e.batch}/${batches} done: ${e.completed} upgraded, ${e.failed} failed`;
      case 'CanaryHealthReported':
        return `canary health: ${e.healthy} healthy, ${e.unhealthy} unhealthy`;
      case 'RollbackStarted':
        return `ROLLBACK started by ${e.initiatedBy}: ${e.reason} (${e.instanceIds.length} instances)`;
      case 'RollbackCompleted':
        return `rollback done: ${e.rolledBackInstances.length} rolled back, ${e.failedInstances.length} failed`;
      case 'TranscriptLine':
        return null;
    }
  }
}

/** Lost connections and 5xx are worth another try; a 4xx (404, 401) is an answer. */
function retryable(error: unknown): boolean {
  if (error instanceof ApiError) return error.status >= 500;
  if (error instanceof CliError) return error instanceof UnreachableError;
  return true;
}

function describe(error: unknown): string {
  if (error instanceof UnreachableError) return error.reason;
  if (error instanceof ApiError) return `HTTP ${error.status}`;
  return causeOf(error);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
