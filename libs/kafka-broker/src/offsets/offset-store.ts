import * as fs from 'fs';
import * as path from 'path';
import type { Logger } from '../logger';
import { silentLogger } from '../logger';
import { type FsyncPolicy, fdatasync, fsyncDirSync, writeFullySync } from '../log/files';
import { crc32c } from '../util/crc32c';

/**
 * Committed consumer offsets, durable across restarts (ADR 0018).
 *
 * Kafka keeps them in the compacted `__consumer_offsets` topic; here they live in one append-only
 * file of small framed records, `meta/consumer-offsets.log`, replayed into a map on open. Each record
 * is `length uint32 | crc32c uint32 | payload`, so a torn last write is detected and cut off exactly
 * like a partition log's. When the file has grown well past its live content it is rewritten
 * (a snapshot of the map, written aside and renamed over), which is the compaction of this "topic".
 *
 * A commit is acknowledged once written and, with fsync=always, synced; concurrent commits share one
 * fdatasync (group commit).
 */
export interface CommittedOffset {
  offset: bigint;
  metadata: string | null;
}

export interface OffsetStoreOptions {
  /**
   * Default always: a commit is synced before it is acknowledged. With interval, a commit is written
   * (it survives a killed broker process) and synced within `fsyncIntervalMs`, like the partition logs.
   */
  fsync?: FsyncPolicy;
  /** With fsync=interval: how long a written commit may wait for its sync (default 1000 ms). */
  fsyncIntervalMs?: number;
  logger?: Logger;
}

const FILE = 'consumer-offsets.log';
const FRAME_HEADER = 8;
const RecordType = { COMMIT: 1, DELETE_GROUP: 2, DELETE_OFFSET: 3 } as const;
/** Rewrite the file once it is this large and at least four times its live content. */
const COMPACT_MIN_BYTES = 4 * 1024 * 1024;

interface Entry extends CommittedOffset {
  topic: string;
  partition: number;
}

const slot = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

export class OffsetStore {
  private readonly groups = new Map<string, Map<string, Entry>>();
  private fd: number;
  private size: number;
  private liveBytes = 0;
  private pending: (() => void)[] = [];
  private pendingFailures: ((err: Error) => void)[] = [];
  private syncing = false;
  private closed = false;
  private intervalSync: NodeJS.Timeout | null = null;

  private constructor(
    private readonly file: string,
    private readonly fsync: FsyncPolicy,
    private readonly logger: Logger,
    private readonly fsyncIntervalMs = 1000,
  ) {
    this.fd = -1;
    this.size = 0;
  }

  /** Opens `<dataDir>/meta/consumer-offsets.log` (created when missing), cutting off a torn tail. */
  static async open(dataDir: string, opts: OffsetStoreOptions = {}): Promise<OffsetStore> {
    const dir = path.join(dataDir, 'meta');
    fs.mkdirSync(dir, { recursive: true });
    const store = new OffsetStore(
      path.join(dir, FILE),
      opts.fsync ?? 'always',
      opts.logger ?? silentLogger,
      opts.fsyncIntervalMs,
    );
    store.load();
    return store;
  }

  commit(
    group: string,
    topic: string,
    partition: number,
    offset: bigint,
    metadata: string | null,
  ): Promise<void> {
    return this.commitMany(group, [{ topic, partition, offset, metadata }]);
  }

  /** Commits several partitions of one group with a single write (one OffsetCommit request). */
  commitMany(
    group: string,
    offsets: { topic: string; partition: number; offset: bigint; metadata: string | null }[],
  ): Promise<void> {
    if (offsets.length === 0) return Promise.resolve();
    return this.write(
      offsets.map((o) => encodeCommit(group, o.topic, o.partition, o.offset, o.metadata)),
      () => {
        for (const o of offsets) this.apply({ type: RecordType.COMMIT, group, ...o });
      },
    );
  }

  fetch(group: string, topic: string, partition: number): CommittedOffset | undefined {
    const entry = this.groups.get(group)?.get(slot(topic, partition));
    return entry && { offset: entry.offset, metadata: entry.metadata };
  }

  listForGroup(
    group: string,
  ): { topic: string; partition: number; offset: bigint; metadata: string | null }[] {
    return [...(this.groups.get(group)?.values() ?? [])].map((e) => ({ ...e }));
  }

  /** Groups with at least one committed offset (ListGroups for groups with no live members). */
  listGroups(): string[] {
    return [...this.groups.keys()];
  }

  deleteGroup(group: string): Promise<void> {
    if (!this.groups.has(group)) return Promise.resolve();
    return this.write([encodeDelete(RecordType.DELETE_GROUP, group, '', 0)], () =>
      this.apply({
        type: RecordType.DELETE_GROUP,
        group,
        topic: '',
        partition: 0,
        offset: 0n,
        metadata: null,
      }),
    );
  }

  /** OffsetDelete: forgets one partition's committed offset. */
  deleteOffset(group: string, topic: string, partition: number): Promise<void> {
    if (this.fetch(group, topic, partition) === undefined) return Promise.resolve();
    return this.write([encodeDelete(RecordType.DELETE_OFFSET, group, topic, partition)], () =>
      this.apply({ type: RecordType.DELETE_OFFSET, group, topic, partition, offset: 0n, metadata: null }),
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.intervalSync !== null) clearTimeout(this.intervalSync);
    while (this.syncing || this.pending.length > 0) await new Promise((resolve) => setImmediate(resolve));
    if (this.fsync !== 'never') fs.fdatasyncSync(this.fd);
    fs.closeSync(this.fd);
  }

  // ---------------------------------------------------------------------------------------------

  private load(): void {
    this.fd = fs.openSync(this.file, fs.constants.O_RDWR | fs.constants.O_CREAT);
    const data = fs.readFileSync(this.file);
    let at = 0;
    while (at + FRAME_HEADER <= data.length) {
      const length = data.readUInt32BE(at);
      const end = at + FRAME_HEADER + length;
      if (end > data.length || crc32c(data.subarray(at + FRAME_HEADER, end)) !== data.readUInt32BE(at + 4))
        break;
      try {
        this.apply(decode(data.subarray(at + FRAME_HEADER, end)));
      } catch {
        break;
      }
      at = end;
    }
    if (at < data.length) {
      this.logger.warn(
        { file: this.file, validBytes: at, truncatedBytes: data.length - at },
        'truncated a torn tail of the committed offsets file',
      );
      fs.ftruncateSync(this.fd, at);
    }
    this.size = at;
  }

  private apply(record: DecodedRecord): void {
    if (record.type === RecordType.DELETE_GROUP) {
      const removed = this.groups.get(record.group);
      if (removed) for (const e of removed.values()) this.liveBytes -= entryBytes(record.group, e);
      this.groups.delete(record.group);
      return;
    }
    let offsets = this.groups.get(record.group);
    const key = slot(record.topic, record.partition);
    const previous = offsets?.get(key);
    if (previous) this.liveBytes -= entryBytes(record.group, previous);
    if (record.type === RecordType.DELETE_OFFSET) {
      offsets?.delete(key);
      if (offsets?.size === 0) this.groups.delete(record.group);
      return;
    }
    if (offsets === undefined) {
      offsets = new Map();
      this.groups.set(record.group, offsets);
    }
    const entry = {
      topic: record.topic,
      partition: record.partition,
      offset: record.offset,
      metadata: record.metadata,
    };
    offsets.set(key, entry);
    this.liveBytes += entryBytes(record.group, entry);
  }

  /** Appends framed records, applies them, and resolves once they are as durable as the policy says. */
  private write(payloads: Buffer[], apply: () => void): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the offset store is closed'));
    const frames = Buffer.concat(payloads.map(frame));
    try {
      writeFullySync(this.fd, frames, this.size);
    } catch (err) {
      try {
        fs.ftruncateSync(this.fd, this.size);
      } catch {
        // a torn tail is cut on the next open
      }
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    this.size += frames.length;
    apply();
    this.maybeCompact();
    if (this.fsync === 'interval') this.scheduleSync();
    if (this.fsync !== 'always') return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.pending.push(resolve);
      this.pendingFailures.push(reject);
      this.syncPending();
    });
  }

  /** fsync=interval: one sync at most `fsyncIntervalMs` after the first unsynced write. */
  private scheduleSync(): void {
    if (this.intervalSync !== null) return;
    this.intervalSync = setTimeout(() => {
      this.intervalSync = null;
      if (this.closed) return;
      fdatasync(this.fd).catch((err: unknown) =>
        this.logger.warn({ err }, 'consumer offsets could not be synced; retried on the next commit'),
      );
    }, this.fsyncIntervalMs);
    this.intervalSync.unref();
  }

  private syncPending(): void {
    if (this.syncing || this.pending.length === 0) return;
    this.syncing = true;
    const waiting = this.pending.splice(0);
    const failing = this.pendingFailures.splice(0);
    fdatasync(this.fd)
      .then(
        () => waiting.forEach((resolve) => resolve()),
        (err: unknown) =>
          failing.forEach((reject) => reject(err instanceof Error ? err : new Error(String(err)))),
      )
      .finally(() => {
        this.syncing = false;
        this.syncPending();
      });
  }

  /** Rewrites the file as a snapshot of the live offsets when it is mostly superseded records. */
  private maybeCompact(): void {
    if (this.size < COMPACT_MIN_BYTES || this.size < 4 * this.liveBytes || this.syncing) return;
    const frames: Buffer[] = [];
    for (const [group, offsets] of this.groups) {
      for (const e of offsets.values())
        frames.push(frame(encodeCommit(group, e.topic, e.partition, e.offset, e.metadata)));
    }
    const snapshot = Buffer.concat(frames);
    const tmp = `${this.file}.tmp`;
    const fd = fs.openSync(tmp, 'w');
    try {
      writeFullySync(fd, snapshot, 0);
      fs.fdatasyncSync(fd);
    } catch (err) {
      fs.closeSync(fd);
      this.logger.error({ err }, 'could not rewrite the committed offsets file; keeping the old one');
      return;
    }
    // Everything written so far must be durable in the old file before it is replaced.
    fs.fdatasyncSync(this.fd);
    fs.renameSync(tmp, this.file);
    fsyncDirSync(path.dirname(this.file));
    fs.closeSync(this.fd);
    this.fd = fd;
    this.size = snapshot.length;
    this.logger.info({ bytes: snapshot.length }, 'rewrote the committed offsets file');
  }
}

interface DecodedRecord {
  type: number;
  group: string;
  topic: string;
  partition: number;
  offset: bigint;
  metadata: string | null;
}

function entryBytes(group: string, e: Entry): number {
  return (
    FRAME_HEADER +
    25 +
    Buffer.byteLength(group) +
    Buffer.byteLength(e.topic) +
    (e.metadata === null ? 0 : Buffer.byteLength(e.metadata))
  );
}

function frame(payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER + payload.length);
  out.writeUInt32BE(payload.length, 0);
  out.writeUInt32BE(crc32c(payload), 4);
  payload.copy(out, FRAME_HEADER);
  return out;
}

/** type int8 | group string | topic string | partition int32 | offset int64 | metadata nullable string. */
function encodeCommit(
  group: string,
  topic: string,
  partition: number,
  offset: bigint,
  metadata: string | null,
): Buffer {
  const g = Buffer.from(group);
  const t = Buffer.from(topic);
  const m = metadata === null ? null : Buffer.from(metadata);
  const out = Buffer.allocUnsafe(1 + 4 + g.length + 4 + t.length + 4 + 8 + 4 + (m?.length ?? 0));
  let at = out.writeInt8(RecordType.COMMIT, 0);
  at = out.writeInt32BE(g.length, at);
  at += g.copy(out, at);
  at = out.writeInt32BE(t.length, at);
  at += t.copy(out, at);
  at = out.writeInt32BE(partition, at);
  at = out.writeBigInt64BE(offset, at);
  at = out.writeInt32BE(m === null ? -1 : m.length, at);
  if (m !== null) m.copy(out, at);
  return out;
}

function encodeDelete(type: number, group: string, topic: string, partition: number): Buffer {
  const g = Buffer.from(group);
  const t = Buffer.from(topic);
  const out = Buffer.allocUnsafe(1 + 4 + g.length + 4 + t.length + 4);
  let at = out.writeInt8(type, 0);
  at = out.writeInt32BE(g.length, at);
  at += g.copy(out, at);
  at = out.writeInt32BE(t.length, at);
  at += t.copy(out, at);
  out.writeInt32BE(partition, at);
  return out;
}

function decode(payload: Buffer): DecodedRecord {
  let at = 0;
  const need = (n: number): number => {
    if (at + n > payload.length) throw new Error('committed offset record is truncated');
    const start = at;
    at += n;
    return start;
  };
  const str = (): string => {
    const length = payload.readInt32BE(need(4));
    return payload.toString('utf8', need(length), at);
  };
  const type = payload.readInt8(need(1));
  const group = str();
  const topic = str();
  const partition = payload.readInt32BE(need(4));
  if (type !== RecordType.COMMIT) return { type, group, topic, partition, offset: 0n, metadata: null };
  const offset = payload.readBigInt64BE(need(8));
  const metaLength = payload.readInt32BE(need(4));
  const metadata = metaLength < 0 ? null : payload.toString('utf8', need(metaLength), at);
  return { type, group, topic, partition, offset, metadata };
}
