import * as fs from 'fs';
import * as path from 'path';
import { crc32c } from '../util/crc32c';
import { Batch } from './batch-format';
import { LogError, OffsetOutOfRangeError, type PartitionLog } from './partition-log';
import { decodeBatch } from './records';
import { openTestLog, readAll, removeDir, segmentFiles, splitBatches, tempDir, values } from './test-helpers';

const dirs: string[] = [];
const logs: PartitionLog[] = [];
function freshDir(): string {
  const dir = tempDir('partition-log');
  dirs.push(dir);
  return dir;
}
async function open(
  dir: string,
  configs: Record<string, string> = {},
  opts: Parameters<typeof openTestLog>[2] = {},
) {
  const log = await openTestLog(dir, configs, opts);
  logs.push(log);
  return log;
}
afterAll(async () => {
  for (const log of logs) await log.destroy();
  dirs.forEach(removeDir);
});

const valuesOf = (log: PartitionLog, from?: bigint): (string | null)[] =>
  readAll(log, from).map((r) => r.value);
const activeSegment = (dir: string): string => path.join(dir, segmentFiles(dir).at(-1) ?? '');

describe('PartitionLog append and read', () => {
  it('assigns consecutive offsets by rewriting the base offset, leaving the CRC valid', async () => {
    const log = await open(freshDir());
    const first = await log.append(values(['a', 'b', 'c']));
    const second = await log.append(values(['d']));
    expect(first).toEqual({ errorCode: 0, baseOffset: 0n, logAppendTimeMs: -1n, logStartOffset: 0n });
    expect(second.baseOffset).toBe(3n);
    expect(log.highWatermark()).toBe(4n);
    const read = log.read(0n, 1 << 20);
    const batches = splitBatches(read.records);
    expect(batches.map((b) => b.readBigInt64BE(0))).toEqual([0n, 3n]);
    for (const b of batches) expect(crc32c(b.subarray(Batch.ATTRIBUTES))).toBe(b.readUInt32BE(Batch.CRC));
    expect(valuesOf(log)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('answers OFFSET_OUT_OF_RANGE outside [log start, high watermark] and nothing at the high watermark', async () => {
    const log = await open(freshDir());
    await log.append(values(['a', 'b']));
    expect(log.read(2n, 100)).toMatchObject({ errorCode: 0, highWatermark: 2n, logStartOffset: 0n });
    expect(log.read(2n, 100).records.length).toBe(0);
    expect(log.read(3n, 100).errorCode).toBe(LogError.OFFSET_OUT_OF_RANGE);
    expect(log.read(-1n, 100).errorCode).toBe(LogError.OFFSET_OUT_OF_RANGE);
  });

  it('returns whole batches within maxBytes, but always at least one batch', async () => {
    const log = await open(freshDir());
    const sizes: number[] = [];
    for (let i = 0; i < 5; i++) {
      const batch = values([`value-${i}`.padEnd(100, '.')]);
      sizes.push(batch.length);
      await log.append(batch);
    }
    expect(splitBatches(log.read(0n, 10).records)).toHaveLength(1);
    expect(splitBatches(log.read(0n, sizes[0] * 2 + sizes[0] / 2).records)).toHaveLength(2);
    expect(splitBatches(log.read(0n, 1 << 20).records)).toHaveLength(5);
  });

  it('returns the batch holding the fetch offset when it points inside a batch', async () => {
    const log = await open(freshDir());
    await log.append(values(['a', 'b', 'c']));
    await log.append(values(['d', 'e']));
    const batches = splitBatches(log.read(4n, 1 << 20).records);
    expect(batches.map((b) => b.readBigInt64BE(0))).toEqual([3n]);
    expect(valuesOf(log, 1n)).toEqual(['b', 'c', 'd', 'e']);
  });

  it('rolls segments at segment.bytes and reads straight across them, from any offset', async () => {
    const dir = freshDir();
    const log = await open(dir, { 'segment.bytes': '300', 'index.interval.bytes': '1' });
    const expected: string[] = [];
    for (let i = 0; i < 40; i++) {
      expected.push(`v${i}`);
      await log.append(values([`v${i}`]));
    }
    expect(segmentFiles(dir).length).toBeGreaterThan(5);
    expect(valuesOf(log)).toEqual(expected);
    for (const from of [0, 7, 19, 39]) expect(valuesOf(log, BigInt(from))).toEqual(expected.slice(from));
    expect(valuesOf(log, 0n).length).toBe(40);
    // Small fetches walk segment by segment without skipping anything.
    expect(readAll(log, 0n, 1).map((r) => r.value)).toEqual(expected);
  });

  it('rolls the active segment once segment.ms has passed since its first append', async () => {
    const dir = freshDir();
    const log = await open(dir, { 'segment.ms': '1000' });
    await log.append(values(['a']), { now: 10_000 });
    await log.append(values(['b']), { now: 10_999 });
    expect(segmentFiles(dir)).toHaveLength(1);
    await log.append(values(['c']), { now: 11_000 });
    expect(segmentFiles(dir)).toEqual(['00000000000000000000.log', '00000000000000000002.log']);
    expect(valuesOf(log)).toEqual(['a', 'b', 'c']);
  });

  it('stores gzip batches as they came and serves them back', async () => {
    const log = await open(freshDir());
    const batch = values(['compressed-1', 'compressed-2'], { gzip: true });
    const original = Buffer.from(batch);
    await log.append(batch);
    const stored = log.read(0n, 1 << 20).records;
    expect(stored.subarray(Batch.ATTRIBUTES)).toEqual(original.subarray(Batch.ATTRIBUTES));
    expect(valuesOf(log)).toEqual(['compressed-1', 'compressed-2']);
  });

  it('refuses batches larger than max.message.bytes and batches whose length does not match', async () => {
    const log = await open(freshDir(), { 'max.message.bytes': '200' });
    expect((await log.append(values(['x'.repeat(300)]))).errorCode).toBe(LogError.MESSAGE_TOO_LARGE);
    const batch = values(['ok']);
    expect((await log.append(batch.subarray(0, batch.length - 1))).errorCode).toBe(LogError.CORRUPT_MESSAGE);
    expect(log.highWatermark()).toBe(0n);
  });

  it('wakes onAppend listeners after each append until they unsubscribe', async () => {
    const log = await open(freshDir());
    const calls: bigint[] = [];
    const unsubscribe = log.onAppend(() => calls.push(log.highWatermark()));
    await log.append(values(['a']));
    await log.append(values(['b', 'c']));
    unsubscribe();
    await log.append(values(['d']));
    expect(calls).toEqual([1n, 3n]);
  });

  it('stamps LogAppendTime when the topic asks for it, with a fresh CRC', async () => {
    const log = await open(freshDir(), { 'message.timestamp.type': 'LogAppendTime' });
    const result = await log.append(values([{ value: 'a', timestamp: 5 }]), { now: 1_700_000_000_000 });
    expect(result.logAppendTimeMs).toBe(1_700_000_000_000n);
    const [batch] = splitBatches(log.read(0n, 1 << 20).records);
    expect(crc32c(batch.subarray(Batch.ATTRIBUTES))).toBe(batch.readUInt32BE(Batch.CRC));
    expect(readAll(log)[0].timestamp).toBe(1_700_000_000_000);
  });

  it('acknowledges fsync=always appends after a shared fdatasync, in order', async () => {
    const log = await open(freshDir(), {}, { fsync: 'always' });
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => log.append(values([`v${i}`, `w${i}`]))),
    );
    expect(results.map((r) => r.baseOffset)).toEqual(Array.from({ length: 20 }, (_, i) => BigInt(i * 2)));
    expect(log.highWatermark()).toBe(40n);
    expect(valuesOf(log)).toHaveLength(40);
  });
});

describe('PartitionLog timestamps', () => {
  it('finds the first record at or after a timestamp, inside batches and across segments', async () => {
    const log = await open(freshDir(), { 'segment.bytes': '250', 'index.interval.bytes': '1' });
    for (let i = 0; i < 10; i++) {
      await log.append(
        values([
          { value: `a${i}`, timestamp: 1000 + i * 100 },
          { value: `b${i}`, timestamp: 1050 + i * 100 },
        ]),
      );
    }
    expect(log.offsetForTimestamp(0n)).toEqual({ offset: 0n, timestamp: 1000n });
    expect(log.offsetForTimestamp(1020n)).toEqual({ offset: 1n, timestamp: 1050n });
    expect(log.offsetForTimestamp(1500n)).toEqual({ offset: 10n, timestamp: 1500n });
    expect(log.offsetForTimestamp(1949n)).toEqual({ offset: 19n, timestamp: 1950n });
    expect(log.offsetForTimestamp(1951n)).toBeNull();
    expect(log.offsetForTimestamp(-2n)).toEqual({ offset: 0n, timestamp: -1n });
    expect(log.offsetForTimestamp(-1n)).toEqual({ offset: 20n, timestamp: -1n });
    expect(log.offsetForTimestamp(-3n)).toEqual({ offset: 19n, timestamp: 1950n });
  });
});

describe('PartitionLog idempotent producers', () => {
  const idem = (seq: number, items: string[], epoch = 0, producerId = 7n) =>
    values(items, { producerId, producerEpoch: epoch, baseSequence: seq });

  it('acknowledges a retried batch with its original offset and writes nothing', async () => {
    const log = await open(freshDir());
    expect((await log.append(idem(0, ['a', 'b']))).baseOffset).toBe(0n);
    expect((await log.append(idem(2, ['c']))).baseOffset).toBe(2n);
    const retry = await log.append(idem(0, ['a', 'b']));
    expect(retry).toMatchObject({ errorCode: 0, baseOffset: 0n });
    expect(log.highWatermark()).toBe(3n);
    expect(valuesOf(log)).toEqual(['a', 'b', 'c']);
  });

  it('refuses a sequence gap with OUT_OF_ORDER_SEQUENCE_NUMBER and an old epoch with INVALID_PRODUCER_EPOCH', async () => {
    const log = await open(freshDir());
    await log.append(idem(0, ['a'], 1));
    expect((await log.append(idem(2, ['gap'], 1))).errorCode).toBe(LogError.OUT_OF_ORDER_SEQUENCE_NUMBER);
    expect((await log.append(idem(1, ['old'], 0))).errorCode).toBe(LogError.INVALID_PRODUCER_EPOCH);
    expect((await log.append(idem(5, ['new epoch, not from 0'], 2))).errorCode).toBe(
      LogError.OUT_OF_ORDER_SEQUENCE_NUMBER,
    );
    expect((await log.append(idem(0, ['new epoch'], 2))).errorCode).toBe(0);
    expect((await log.append(idem(3, ['unknown producer'], 0, 99n))).errorCode).toBe(0);
    expect(valuesOf(log)).toEqual(['a', 'new epoch', 'unknown producer']);
  });

  it('with fsync=always, acknowledges a retry no earlier than the original it duplicates', async () => {
    const log = await open(freshDir(), {}, { fsync: 'always' });
    const order: string[] = [];
    const original = log.append(idem(0, ['a'])).then((r) => order.push(`original@${r.baseOffset}`));
    const retry = log.append(idem(0, ['a'])).then((r) => order.push(`retry@${r.baseOffset}`));
    await Promise.all([original, retry]);
    expect(order).toEqual(['original@0', 'retry@0']);
    expect(log.highWatermark()).toBe(1n);
  });

  it('only remembers the last five batches: an older retry is out of order', async () => {
    const log = await open(freshDir());
    for (let seq = 0; seq < 7; seq++) await log.append(idem(seq, [`v${seq}`]));
    expect((await log.append(idem(2, ['v2']))).baseOffset).toBe(2n);
    expect((await log.append(idem(1, ['v1']))).errorCode).toBe(LogError.OUT_OF_ORDER_SEQUENCE_NUMBER);
  });

  it.each([
    ['a clean restart (snapshot)', true],
    ['a crash (snapshot plus replay of the log)', false],
  ])('recovers producer state after %s', async (_name, clean) => {
    const dir = freshDir();
    const log = await open(dir, { 'segment.bytes': '200' });
    for (let seq = 0; seq < 6; seq++) await log.append(idem(seq, [`v${seq}`]));
    if (clean) await log.close();
    const reopened = await open(dir, { 'segment.bytes': '200' }, { cleanShutdown: clean });
    expect((await reopened.append(idem(5, ['v5']))).baseOffset).toBe(5n);
    expect((await reopened.append(idem(7, ['gap']))).errorCode).toBe(LogError.OUT_OF_ORDER_SEQUENCE_NUMBER);
    expect((await reopened.append(idem(6, ['v6']))).baseOffset).toBe(6n);
    expect(valuesOf(reopened)).toEqual(['v0', 'v1', 'v2', 'v3', 'v4', 'v5', 'v6']);
  });
});

describe('PartitionLog recovery', () => {
  async function writeSome(dir: string, configs: Record<string, string> = {}): Promise<PartitionLog> {
    const log = await open(dir, configs);
    for (let i = 0; i < 10; i++) await log.append(values([`v${i}`]));
    return log;
  }

  it('reopens after a clean shutdown with everything in place and keeps appending', async () => {
    const dir = freshDir();
    const log = await writeSome(dir, { 'segment.bytes': '300' });
    await log.close();
    const reopened = await open(dir, { 'segment.bytes': '300' });
    expect(reopened.highWatermark()).toBe(10n);
    expect((await reopened.append(values(['after']))).baseOffset).toBe(10n);
    expect(valuesOf(reopened)).toHaveLength(11);
  });

  it('reopens after a crash (no clean shutdown) with everything acknowledged', async () => {
    const dir = freshDir();
    await writeSome(dir, { 'segment.bytes': '300' });
    const reopened = await open(dir, { 'segment.bytes': '300' }, { cleanShutdown: false });
    expect(reopened.highWatermark()).toBe(10n);
    expect(valuesOf(reopened)).toEqual(Array.from({ length: 10 }, (_, i) => `v${i}`));
  });

  it('cuts off a torn last write and never serves it', async () => {
    const dir = freshDir();
    await writeSome(dir);
    const torn = values(['torn-1', 'torn-2']);
    torn.writeBigInt64BE(10n, 0);
    fs.appendFileSync(activeSegment(dir), torn.subarray(0, torn.length - 7));
    const reopened = await open(dir, {}, { cleanShutdown: false });
    expect(reopened.highWatermark()).toBe(10n);
    expect(valuesOf(reopened)).not.toContain('torn-1');
    expect((await reopened.append(values(['next']))).baseOffset).toBe(10n);
    expect(valuesOf(reopened).slice(-1)).toEqual(['next']);
  });

  it('cuts off a last batch whose CRC does not match, even when its length looks right', async () => {
    const dir = freshDir();
    await writeSome(dir);
    const file = activeSegment(dir);
    const bytes = fs.readFileSync(file);
    bytes[bytes.length - 3] ^= 0xff;
    fs.writeFileSync(file, bytes);
    const reopened = await open(dir, {}, { cleanShutdown: false });
    expect(reopened.highWatermark()).toBe(9n);
    expect(valuesOf(reopened)).toEqual(Array.from({ length: 9 }, (_, i) => `v${i}`));
  });

  it('checks the tail after a "clean" shutdown too, falling back to recovery when the index disagrees', async () => {
    const dir = freshDir();
    const log = await writeSome(dir);
    await log.close();
    fs.appendFileSync(activeSegment(dir), Buffer.from('garbage that is not a batch'));
    const reopened = await open(dir, {}, { cleanShutdown: true });
    expect(reopened.highWatermark()).toBe(10n);
    expect(valuesOf(reopened)).toHaveLength(10);
  });

  it('rebuilds a lost index of a closed segment from its batches', async () => {
    const dir = freshDir();
    const log = await writeSome(dir, { 'segment.bytes': '300', 'index.interval.bytes': '1' });
    await log.close();
    for (const f of fs.readdirSync(dir).filter((f) => f.endsWith('.index'))) fs.unlinkSync(path.join(dir, f));
    const reopened = await open(dir, { 'segment.bytes': '300', 'index.interval.bytes': '1' });
    expect(valuesOf(reopened, 5n)).toEqual(['v5', 'v6', 'v7', 'v8', 'v9']);
  });
});

describe('PartitionLog retention and DeleteRecords', () => {
  const old = (i: number) => values([{ value: `old${i}`, timestamp: 1_000 + i }]);

  it('deletes whole segments whose newest record is older than retention.ms', async () => {
    const dir = freshDir();
    const log = await open(dir, { 'segment.bytes': '200', 'retention.ms': '60000' });
    for (let i = 0; i < 6; i++) await log.append(old(i));
    const now = Date.now();
    for (let i = 0; i < 2; i++) await log.append(values([{ value: `new${i}`, timestamp: now }]));
    await log.runMaintenance(now);
    expect(valuesOf(log)).toEqual(['new0', 'new1']);
    expect(log.logStartOffset()).toBe(6n);
    expect(log.read(0n, 100).errorCode).toBe(LogError.OFFSET_OUT_OF_RANGE);
  });

  it('rolls and deletes an expired active segment, leaving an empty log that keeps its offsets', async () => {
    const dir = freshDir();
    const log = await open(dir, { 'retention.ms': '1000' });
    for (let i = 0; i < 3; i++) await log.append(old(i));
    await log.runMaintenance(Date.now());
    expect(log.logStartOffset()).toBe(3n);
    expect(log.highWatermark()).toBe(3n);
    expect(segmentFiles(dir)).toEqual(['00000000000000000003.log']);
    expect((await log.append(values(['later']))).baseOffset).toBe(3n);
  });

  it('deletes the oldest segments while the log stays above retention.bytes', async () => {
    const dir = freshDir();
    const log = await open(dir, { 'segment.bytes': '200', 'retention.bytes': '400', 'retention.ms': '-1' });
    for (let i = 0; i < 12; i++) await log.append(values([`v${i}`.padEnd(20, '.')]));
    const before = log.sizeInBytes();
    await log.runMaintenance();
    expect(log.sizeInBytes()).toBeLessThan(before);
    expect(log.sizeInBytes()).toBeGreaterThanOrEqual(400 - 200);
    expect(valuesOf(log).at(-1)).toBe('v11'.padEnd(20, '.'));
    expect(log.logStartOffset()).toBeGreaterThan(0n);
  });

  it('keeps compacted topics out of time retention unless the policy also says delete', async () => {
    const log = await open(freshDir(), { 'cleanup.policy': 'compact', 'retention.ms': '1000' });
    await log.append(values([{ key: 'k', value: 'v', timestamp: 1000 }]));
    await log.runMaintenance();
    expect(valuesOf(log)).toEqual(['v']);
  });

  it('moves the log start offset with DeleteRecords, durably, and refuses offsets past the end', async () => {
    const dir = freshDir();
    const log = await open(dir, { 'segment.bytes': '200' });
    for (let i = 0; i < 8; i++) await log.append(values([`v${i}`]));
    expect(await log.deleteRecordsBefore(5n)).toBe(5n);
    expect(log.read(4n, 100).errorCode).toBe(LogError.OFFSET_OUT_OF_RANGE);
    expect(valuesOf(log)).toEqual(['v5', 'v6', 'v7']);
    expect(log.offsetForTimestamp(0n)?.offset).toBe(5n);
    await expect(log.deleteRecordsBefore(9n)).rejects.toBeInstanceOf(OffsetOutOfRangeError);
    await log.close();
    const reopened = await open(dir, { 'segment.bytes': '200' });
    expect(reopened.logStartOffset()).toBe(5n);
    expect(await reopened.deleteRecordsBefore(-1n)).toBe(8n);
  });
});

describe('PartitionLog compaction', () => {
  const compactConfig = {
    'cleanup.policy': 'compact',
    'segment.bytes': '400',
    'delete.retention.ms': '60000',
  };
  const keyed = (key: string, value: string | null, timestamp = Date.now()) =>
    values([{ key, value, timestamp }]);

  it('keeps the latest record per key in closed segments, offsets unchanged, active segment untouched', async () => {
    const dir = freshDir();
    const log = await open(dir, compactConfig);
    const written: { key: string; value: string }[] = [];
    for (let i = 0; i < 40; i++) {
      const entry = { key: `k${i % 4}`, value: `v${i}` };
      written.push(entry);
      await log.append(keyed(entry.key, entry.value));
    }
    const segmentsBefore = segmentFiles(dir).length;
    const activeBefore = fs.readFileSync(activeSegment(dir));
    await log.runMaintenance(Date.now());
    const after = readAll(log);
    expect(fs.readFileSync(activeSegment(dir))).toEqual(activeBefore);
    expect(segmentFiles(dir).length).toBeLessThan(segmentsBefore);
    // Offsets are preserved, and every key's latest value is still the last one seen.
    for (const r of after) expect(written[Number(r.offset)].value).toBe(r.value);
    const latest = new Map(after.map((r) => [r.key, r.value]));
    expect(latest).toEqual(
      new Map([
        ['k0', 'v36'],
        ['k1', 'v37'],
        ['k2', 'v38'],
        ['k3', 'v39'],
      ]),
    );
    expect(after.length).toBeLessThan(40);
    expect(log.highWatermark()).toBe(40n);
  });

  it('removes tombstones only once delete.retention.ms has passed', async () => {
    const log = await open(freshDir(), compactConfig);
    const t0 = Date.now() - 10_000;
    await log.append(keyed('gone', 'value', t0));
    await log.append(keyed('gone', null, t0));
    for (let i = 0; i < 20; i++) await log.append(keyed(`filler${i}`, 'x'.repeat(30), t0));
    await log.runMaintenance(t0 + 1000);
    expect(
      readAll(log)
        .filter((r) => r.key === 'gone')
        .map((r) => r.value),
    ).toEqual([null]);
    await log.runMaintenance(t0 + 60_001);
    expect(readAll(log).filter((r) => r.key === 'gone')).toEqual([]);
  });

  it('leaves segments younger than min.compaction.lag.ms alone', async () => {
    const log = await open(freshDir(), { ...compactConfig, 'min.compaction.lag.ms': '3600000' });
    for (let i = 0; i < 20; i++) await log.append(keyed('same', `v${i}`));
    await log.runMaintenance(Date.now());
    expect(readAll(log)).toHaveLength(20);
  });

  it('rewrites gzip batches as gzip with a valid CRC', async () => {
    const log = await open(freshDir(), compactConfig);
    for (let i = 0; i < 12; i++) {
      await log.append(
        values(
          [
            { key: 'a', value: `a${i}` },
            { key: `b${i}`, value: 'b' },
          ],
          { gzip: true },
        ),
      );
    }
    await log.runMaintenance(Date.now());
    const batches = splitBatches(log.read(0n, 1 << 20).records);
    for (const b of batches) {
      expect(crc32c(b.subarray(Batch.ATTRIBUTES))).toBe(b.readUInt32BE(Batch.CRC));
      expect(b.readInt16BE(Batch.ATTRIBUTES) & 7).toBe(1);
    }
    expect(decodeBatch(batches[0]).records.some((r) => r.key?.toString() === 'a')).toBe(false);
    expect(readAll(log).filter((r) => r.key === 'a').length).toBeLessThan(12);
  });

  it('survives a restart, and a crash between writing and swapping in the compacted segment', async () => {
    const original = freshDir();
    const log = await open(original, compactConfig);
    for (let i = 0; i < 30; i++) await log.append(keyed(`k${i % 3}`, `v${i}`));
    await log.close();
    const crashed = freshDir();
    fs.cpSync(original, crashed, { recursive: true });

    const compacted = await open(original, compactConfig);
    await compacted.runMaintenance(Date.now());
    const expected = readAll(compacted);
    await compacted.close();
    const afterRestart = await open(original, compactConfig);
    expect(readAll(afterRestart)).toEqual(expected);

    // Recreate the state a crash leaves after the rename to .swap: the cleaned file beside the
    // segments it replaces (plus a half-written .cleaned from another pass).
    const [first] = segmentFiles(original);
    const cleaned = fs.readFileSync(path.join(original, first));
    const end = segmentFiles(original)[1].slice(0, 20);
    fs.writeFileSync(path.join(crashed, `${first.slice(0, 20)}.${end}.swap`), cleaned);
    fs.writeFileSync(path.join(crashed, `${end}.cleaned`), Buffer.from('partial'));
    const recovered = await open(crashed, compactConfig, { cleanShutdown: false });
    expect(readAll(recovered)).toEqual(expected);
    expect(fs.readdirSync(crashed).filter((f) => f.endsWith('.swap') || f.endsWith('.cleaned'))).toEqual([]);
  });
});
