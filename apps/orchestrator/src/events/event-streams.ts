import { HttpStatus, Injectable, Logger } from '@nestjs/common';
import type { OnModuleDestroy } from '@nestjs/common';
import type { Response } from 'express';
import { isTerminal } from '@upshift/domain';
import { badRequest, canSeeTenant, noteAuditTenant, notFound } from '@upshift/http';
import type { Principal } from '@upshift/http';
import { ProgressLog } from './progress-log';
import type { ExecutionPosition, StoredProgressEvent } from './progress-log';
import { SseWriter } from './sse-writer';
import { formatTenantCursor, parseTenantCursor } from './tenant-cursor';
import type { TenantCursor } from './tenant-cursor';

/** How often an open stream looks for new events: a primary-key read, an outbox read only when due. */
export const POLL_MS = 250;
/** Comments on an idle stream, well inside the usual 60 s proxy idle timeouts. */
export const HEARTBEAT_MS = 15_000;
/** What a browser's EventSource waits before reconnecting. */
const RETRY_MS = 2_000;
/** Events read per execution and query. */
const PAGE = 500;
/**
 * How far behind the database's clock a tenant stream's watermark trails: longer than any creating
 * transaction takes and any replica clock is off (execution.created_at is set by the replica).
 */
export const WATERMARK_LAG_MS = 10 * 60_000;
/** Published outbox rows are kept 24 h (ADR 0021): a cursor older than that cannot be resumed. */
const OUTBOX_RETENTION_MS = 24 * 3_600_000;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Sent when events a client needs are no longer kept: it should read the execution again. */
export const RESYNC = 'resync';

/**
 * The two event streams of ADR 0084, read from the outbox the events are published from. Each open
 * stream is a loop; they all end when the module stops, so that the HTTP server can close.
 */
@Injectable()
export class EventStreams implements OnModuleDestroy {
  private readonly logger = new Logger(EventStreams.name);
  private readonly open = new Set<SseWriter>();

  constructor(private readonly log: ProgressLog) {}

  onModuleDestroy(): void {
    for (const writer of this.open) writer.end();
  }

  /**
   * An execution's events from after `lastEventId` (its `sequence`), live until the execution is
   * terminal and everything is sent. 204 when a reconnect has nothing left to receive.
   */
  async followExecution(
    executionId: string,
    lastEventId: string | undefined,
    principal: Principal,
    res: Response,
  ): Promise<void> {
    const position = UUID.test(executionId) ? await this.log.position(executionId) : null;
    if (position !== null) noteAuditTenant(position.tenantId);
    if (position === null || !canSeeTenant(principal, position.tenantId)) {
      throw notFound('Upgrade execution', executionId);
    }
    let after = parseSequence(lastEventId);
    if (isTerminal(position.status) && after >= position.progressSequence) {
      res.status(HttpStatus.NO_CONTENT).end();
      return;
    }
    await this.run(res, async (writer) => {
      let current: ExecutionPosition | null = position;
      while (!writer.closed && current !== null) {
        if (current.progressSequence > after) {
          const events = await this.log.eventsAfter([{ executionId, sequence: after }], PAGE);
          const before = after;
          after = await this.deliver(writer, executionId, after, current.progressSequence, events);
          // The next page at once; a page that moved nothing waits like an idle poll.
          if (after > before) continue;
        } else if (isTerminal(current.status)) {
          return;
        }
        await writer.sleep(POLL_MS);
        if (!writer.closed) current = await this.log.position(executionId);
      }
    });
  }

  /**
   * A tenant's events, every execution interleaved, from the cursor `lastEventId` names (from now
   * without one). It does not end by itself: new executions may start at any time.
   */
  async followTenant(tenantId: string, lastEventId: string | undefined, res: Response): Promise<void> {
    const given = lastEventId === undefined ? null : parseTenantCursor(lastEventId);
    await this.run(res, async (writer) => {
      let cursor = given;
      const nowMs = await this.log.nowMs();
      if (cursor === null || cursor.watermarkMs < nowMs - OUTBOX_RETENTION_MS) {
        cursor = await this.freshTenantCursor(tenantId);
        // A cursor that cannot be resumed: say so, with one the client can resume from.
        if (lastEventId !== undefined) {
          await writer.send({
            id: formatTenantCursor(cursor),
            event: RESYNC,
            data: JSON.stringify({ tenantId, reason: 'The Last-Event-ID cannot be resumed from' }),
          });
        }
      }
      const state: TenantCursor = cursor;
      while (!writer.closed) {
        const { nowMs: dbNow, positions } = await this.log.tenantPositions(
          tenantId,
          [...state.delivered.keys()],
          state.watermarkMs,
          false,
        );
        for (const p of positions) {
          if (!state.delivered.has(p.id) && p.createdAt >= state.watermarkMs) state.delivered.set(p.id, 0);
        }
        const due = positions.filter((p) => p.progressSequence > (state.delivered.get(p.id) ?? Infinity));
        if (due.length > 0) {
          const events = await this.log.eventsAfter(
            due.map((p) => ({ executionId: p.id, sequence: state.delivered.get(p.id) ?? 0 })),
            PAGE,
          );
          for (const p of due) {
            const own = events.filter((e) => e.executionId === p.id);
            const from = state.delivered.get(p.id) ?? 0;
            state.delivered.set(
              p.id,
              await this.checkGap(writer, p.id, from, p.progressSequence, own, state),
            );
          }
          for (const event of events) {
            if (event.sequence <= (state.delivered.get(event.executionId) ?? 0)) continue;
            state.delivered.set(event.executionId, event.sequence);
            await writer.send({ id: formatTenantCursor(state), event: event.kind, data: event.payload });
          }
          continue;
        }
        // Nothing due: move the watermark on and forget executions finished and delivered before it.
        state.watermarkMs = Math.max(state.watermarkMs, dbNow - WATERMARK_LAG_MS);
        for (const p of positions) {
          const finished = isTerminal(p.status) && (state.delivered.get(p.id) ?? 0) >= p.progressSequence;
          if (finished && p.createdAt < state.watermarkMs) state.delivered.delete(p.id);
        }
        await writer.sleep(POLL_MS);
      }
    });
  }

  /** The cursor of a stream that starts now: every execution that may still move, at its position. */
  private async freshTenantCursor(tenantId: string): Promise<TenantCursor> {
    const nowMs = await this.log.nowMs();
    const watermarkMs = nowMs - WATERMARK_LAG_MS;
    const { positions } = await this.log.tenantPositions(tenantId, [], watermarkMs, true);
    return {
      watermarkMs,
      delivered: new Map(positions.map((p) => [p.id, p.progressSequence])),
    };
  }

  /**
   * Sends `events` (one execution's, in sequence order) that follow `after`; first a resync when the
   * next one is no longer kept. Returns the sequence now delivered.
   */
  private async deliver(
    writer: SseWriter,
    executionId: string,
    after: number,
    lastCommitted: number,
    events: StoredProgressEvent[],
  ): Promise<number> {
    let delivered = after;
    const first = events[0]?.sequence ?? lastCommitted + 1;
    if (first > delivered + 1) {
      delivered = first - 1;
      await writer.send({
        id: String(delivered),
        event: RESYNC,
        data: resyncData(executionId, after, first),
      });
    }
    for (const event of events) {
      if (event.sequence !== delivered + 1) break;
      await writer.send({ id: String(event.sequence), event: event.kind, data: event.payload });
      delivered = event.sequence;
    }
    return delivered;
  }

  /** For a tenant stream: a resync when an execution's next event is no longer kept. */
  private async checkGap(
    writer: SseWriter,
    executionId: string,
    after: number,
    lastCommitted: number,
    own: StoredProgressEvent[],
    state: TenantCursor,
  ): Promise<number> {
    const first = own[0]?.sequence ?? lastCommitted + 1;
    if (first <= after + 1) return after;
    state.delivered.set(executionId, first - 1);
    await writer.send({
      id: formatTenantCursor(state),
      event: RESYNC,
      data: resyncData(executionId, after, first),
    });
    return first - 1;
  }

  private async run(res: Response, loop: (writer: SseWriter) => Promise<void>): Promise<void> {
    const writer = new SseWriter(res, HEARTBEAT_MS, RETRY_MS);
    this.open.add(writer);
    try {
      await loop(writer);
    } catch (error) {
      // Headers are sent: the client sees the stream end and reconnects with its Last-Event-ID.
      if (!writer.closed) this.logger.warn(`event stream ended by an error: ${(error as Error).message}`);
    } finally {
      this.open.delete(writer);
      writer.end();
    }
  }
}

/** A per-execution event id: a sequence number (0, before the first event, when absent). */
function parseSequence(lastEventId: string | undefined): number {
  if (lastEventId === undefined || lastEventId === '') return 0;
  if (!/^\d{1,15}$/.test(lastEventId)) {
    throw badRequest([
      { field: 'Last-Event-ID', message: 'Last-Event-ID must be the id of an event of this stream' },
    ]);
  }
  return Number(lastEventId);
}

function resyncData(executionId: string, after: number, first: number): string {
  return JSON.stringify({
    executionId,
    reason: `Events ${after + 1}..${first - 1} are no longer kept; read the execution again`,
    missedFrom: after + 1,
    missedTo: first - 1,
  });
}
