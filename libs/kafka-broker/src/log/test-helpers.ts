import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Batch, batchSize } from './batch-format';
import type { FsyncPolicy } from './files';
import { PartitionLog } from './partition-log';
import { buildBatch, decodeBatch, recordTimestamp, type SimpleRecord } from './records';
import { resolveTopicConfig } from './topic-config';

/** Helpers shared by the storage unit tests (not used by the broker itself). */
export function tempDir(name: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `upshift-${name}-`));
}

export function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

export function openTestLog(
  dir: string,
  configs: Record<string, string> = {},
  opts: { fsync?: FsyncPolicy; cleanShutdown?: boolean } = {},
): Promise<PartitionLog> {
  return PartitionLog.open({
    dir,
    topic: 't',
    partition: 0,
    config: resolveTopicConfig(1, configs),
    fsync: opts.fsync ?? 'never',
    cleanShutdown: opts.cleanShutdown ?? true,
  });
}

/** A batch as a producer sends it: values (optionally keyed), base offset 0. */
export function values(
  items: (string | SimpleRecord)[],
  opts: Parameters<typeof buildBatch>[1] = {},
): Buffer {
  return buildBatch(
    items.map((v) => (typeof v === 'string' ? { value: v } : v)),
    opts,
  );
}

export interface ReadRecord {
  offset: bigint;
  key: string | null;
  value: string | null;
  timestamp: number;
}

/** Everything a consumer starting at `from` would see, fetching `maxBytes` at a time. */
export function readAll(
  log: PartitionLog,
  from = log.logStartOffset(),
  maxBytes = 1024 * 1024,
): ReadRecord[] {
  const out: ReadRecord[] = [];
  let offset = from;
  while (offset < log.highWatermark()) {
    const result = log.read(offset, maxBytes);
    if (result.errorCode !== 0) throw new Error(`read at ${offset} failed with error ${result.errorCode}`);
    if (result.records.length === 0) break;
    for (const batch of splitBatches(result.records)) {
      const decoded = decodeBatch(batch);
      for (const r of decoded.records) {
        const recordOffset = decoded.baseOffset + BigInt(r.offsetDelta);
        if (recordOffset < offset) continue;
        out.push({
          offset: recordOffset,
          key: r.key?.toString() ?? null,
          value: r.value?.toString() ?? null,
          timestamp: recordTimestamp(decoded, r),
        });
      }
      offset = decoded.baseOffset + BigInt(batch.readInt32BE(Batch.LAST_OFFSET_DELTA)) + 1n;
    }
  }
  return out;
}

export function splitBatches(records: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at + Batch.LOG_OVERHEAD <= records.length;) {
    const size = batchSize(records, at);
    out.push(records.subarray(at, at + size));
    at += size;
  }
  return out;
}

export function segmentFiles(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.log'))
    .sort();
}
