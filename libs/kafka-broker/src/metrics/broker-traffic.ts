/** Bytes before a v2 record batch's length field (baseOffset int64, batchLength int32). */
const BATCH_LOG_OVERHEAD = 12;
/** Where a v2 record batch holds its record count. */
const RECORD_COUNT_AT = 57;

/** Records in `records`, a run of whole v2 record batches as a partition log returns them. */
export function countRecords(records: Buffer): number {
  let count = 0;
  let at = 0;
  while (at + RECORD_COUNT_AT + 4 <= records.length) {
    const size = records.readInt32BE(at + 8) + BATCH_LOG_OVERHEAD;
    if (size <= BATCH_LOG_OVERHEAD || at + size > records.length) break;
    count += records.readInt32BE(at + RECORD_COUNT_AT);
    at += size;
  }
  return count;
}

/** One direction's totals of one topic. */
export interface TopicTotals {
  messages: number;
  bytes: number;
}

/**
 * Messages and record bytes in (appended by Produce) and out (returned by Fetch), per topic, since the
 * broker started: plain counts, kept by the handlers, that metrics-server.ts exports. Fetches of
 * internal readers (none today) would count alike; replicas do not exist on a single node.
 */
export class BrokerTraffic {
  readonly in = new Map<string, TopicTotals>();
  readonly out = new Map<string, TopicTotals>();

  produced(topic: string, messages: number, bytes: number): void {
    add(this.in, topic, messages, bytes);
  }

  fetched(topic: string, records: Buffer): void {
    if (records.length === 0) return;
    add(this.out, topic, countRecords(records), records.length);
  }
}

function add(totals: Map<string, TopicTotals>, topic: string, messages: number, bytes: number): void {
  const entry = totals.get(topic);
  if (entry === undefined) totals.set(topic, { messages, bytes });
  else {
    entry.messages += messages;
    entry.bytes += bytes;
  }
}
