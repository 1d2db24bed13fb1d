import * as fs from 'fs';
import * as path from 'path';
import {
  DataDirLockedError,
  InvalidConfigError,
  InvalidPartitionsError,
  InvalidTopicError,
  LogManager,
  TopicExistsError,
  UnknownTopicError,
} from './log-manager';
import { readAll, removeDir, tempDir, values } from './test-helpers';

const dirs: string[] = [];
const open: LogManager[] = [];
function freshDir(): string {
  const dir = tempDir('log-manager');
  dirs.push(dir);
  return dir;
}
async function openManager(
  dataDir: string,
  fsync: 'always' | 'interval' | 'never' = 'never',
): Promise<LogManager> {
  const manager = await LogManager.open({ dataDir, fsync, maintenanceIntervalMs: 0 });
  open.push(manager);
  return manager;
}
afterAll(async () => {
  for (const m of open) await m.close();
  dirs.forEach(removeDir);
});

describe('LogManager', () => {
  it('persists topics with their configs and partitions across a clean restart', async () => {
    const dataDir = freshDir();
    const manager = await openManager(dataDir);
    await manager.createTopic('orders', 3, {
      'cleanup.policy': 'compact',
      'retention.ms': '1000',
      'segment.bytes': '4096',
    });
    await manager.createTopic('plain', 1, {});
    await manager.partition('orders', 2)?.append(values(['x', 'y']));
    await manager.close();

    const reopened = await openManager(dataDir);
    expect(
      reopened
        .listTopics()
        .map((t) => t.name)
        .sort(),
    ).toEqual(['orders', 'plain']);
    expect(reopened.getTopic('orders')?.config).toMatchObject({
      partitions: 3,
      cleanupPolicy: 'compact',
      retentionMs: 1000,
      retentionBytes: -1,
      segmentBytes: 4096,
      minCompactionLagMs: 0,
      deleteRetentionMs: 86400000,
      raw: { 'cleanup.policy': 'compact', 'retention.ms': '1000', 'segment.bytes': '4096' },
    });
    expect(reopened.getTopic('plain')?.config).toMatchObject({
      cleanupPolicy: 'delete',
      retentionMs: 604800000,
      raw: {},
    });
    const log = reopened.partition('orders', 2);
    expect(log?.highWatermark()).toBe(2n);
    if (log === undefined) throw new Error('partition orders-2 is missing');
    expect(readAll(log).map((r) => r.value)).toEqual(['x', 'y']);
    expect(reopened.partition('orders', 3)).toBeUndefined();
    expect(fs.existsSync(path.join(dataDir, 'orders-0'))).toBe(true);
  });

  it('keeps acknowledged data after a crash (the directory copied while the broker runs)', async () => {
    const dataDir = freshDir();
    const manager = await openManager(dataDir, 'interval');
    await manager.createTopic('events', 2, {});
    for (let i = 0; i < 50; i++) await manager.partition('events', i % 2)?.append(values([`e${i}`]));
    const crashed = freshDir();
    fs.cpSync(dataDir, crashed, { recursive: true });
    const recovered = await openManager(crashed);
    expect(recovered.partition('events', 0)?.highWatermark()).toBe(25n);
    expect(recovered.partition('events', 1)?.highWatermark()).toBe(25n);
  });

  it('refuses duplicates, bad names, bad partition counts and unknown or malformed configs with Kafka error codes', async () => {
    const manager = await openManager(freshDir());
    await manager.createTopic('t', 1, {});
    await expect(manager.createTopic('t', 1, {})).rejects.toBeInstanceOf(TopicExistsError);
    await expect(manager.createTopic('t', 1, {})).rejects.toMatchObject({ code: 36 });
    await expect(manager.createTopic('bad/name', 1, {})).rejects.toBeInstanceOf(InvalidTopicError);
    await expect(manager.createTopic('..', 1, {})).rejects.toMatchObject({ code: 17 });
    await expect(manager.createTopic('zero', 0, {})).rejects.toBeInstanceOf(InvalidPartitionsError);
    await expect(manager.createTopic('c1', 1, { 'no.such.config': '1' })).rejects.toBeInstanceOf(
      InvalidConfigError,
    );
    await expect(manager.createTopic('c2', 1, { 'retention.ms': 'soon' })).rejects.toMatchObject({
      code: 40,
    });
    await expect(manager.createTopic('c3', 1, { 'cleanup.policy': 'shred' })).rejects.toBeInstanceOf(
      InvalidConfigError,
    );
    expect(manager.listTopics().map((t) => t.name)).toEqual(['t']);
  });

  it('creates concurrent topics one at a time: exactly one CreateTopics for a name wins', async () => {
    const manager = await openManager(freshDir());
    const outcomes = await Promise.allSettled(
      Array.from({ length: 5 }, () => manager.createTopic('race', 2, {})),
    );
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
  });

  it('deletes a topic, its files, and lets the name be reused at once', async () => {
    const dataDir = freshDir();
    const manager = await openManager(dataDir);
    await manager.createTopic('temp', 2, {});
    await manager.partition('temp', 0)?.append(values(['old']));
    const oldLog = manager.partition('temp', 0);
    await manager.deleteTopic('temp');
    expect(manager.getTopic('temp')).toBeUndefined();
    expect(oldLog?.read(0n, 100).errorCode).toBe(3);
    expect((await oldLog?.append(values(['late'])))?.errorCode).toBe(3);
    await expect(manager.deleteTopic('temp')).rejects.toBeInstanceOf(UnknownTopicError);
    await manager.createTopic('temp', 1, {});
    expect(manager.partition('temp', 0)?.highWatermark()).toBe(0n);
    await manager.close();
    const reopened = await openManager(dataDir);
    expect(reopened.getTopic('temp')?.config.partitions).toBe(1);
    expect(fs.existsSync(path.join(dataDir, 'temp-1'))).toBe(false);
  });

  it('answers appends still waiting for their fsync when their topic is deleted', async () => {
    const manager = await openManager(freshDir(), 'always');
    await manager.createTopic('doomed', 1, {});
    const log = manager.partition('doomed', 0);
    const appends = Array.from({ length: 20 }, (_, i) => log?.append(values([`v${i}`])));
    await manager.deleteTopic('doomed');
    const codes = (await Promise.all(appends)).map((r) => r?.errorCode);
    expect(codes.every((c) => c === 0 || c === 3)).toBe(true);
  });

  it('grows partitions and refuses to shrink them', async () => {
    const dataDir = freshDir();
    const manager = await openManager(dataDir);
    await manager.createTopic('grow', 1, {});
    await manager.createPartitions('grow', 4);
    expect(manager.getTopic('grow')?.config.partitions).toBe(4);
    expect((await manager.partition('grow', 3)?.append(values(['p3'])))?.baseOffset).toBe(0n);
    await expect(manager.createPartitions('grow', 2)).rejects.toBeInstanceOf(InvalidPartitionsError);
    await expect(manager.createPartitions('missing', 2)).rejects.toBeInstanceOf(UnknownTopicError);
    await manager.close();
    expect((await openManager(dataDir)).getTopic('grow')?.config.partitions).toBe(4);
  });

  it('removes partition directories left behind by an interrupted create or delete', async () => {
    const dataDir = freshDir();
    const manager = await openManager(dataDir);
    await manager.createTopic('kept', 1, {});
    await manager.close();
    fs.mkdirSync(path.join(dataDir, 'orphan-0'));
    fs.writeFileSync(path.join(dataDir, 'orphan-0', '00000000000000000000.log'), '');
    fs.mkdirSync(path.join(dataDir, 'not-ours-0'));
    await openManager(dataDir);
    expect(fs.existsSync(path.join(dataDir, 'orphan-0'))).toBe(false);
    expect(fs.existsSync(path.join(dataDir, 'not-ours-0'))).toBe(true);
  });

  it('will not open a data directory twice', async () => {
    const dataDir = freshDir();
    await openManager(dataDir);
    await expect(LogManager.open({ dataDir, fsync: 'never' })).rejects.toBeInstanceOf(DataDirLockedError);
  });

  it('runs retention for every partition on demand', async () => {
    const manager = await openManager(freshDir());
    await manager.createTopic('short', 2, { 'retention.ms': '1000' });
    for (const p of [0, 1])
      await manager.partition('short', p)?.append(values([{ value: 'old', timestamp: 1 }]));
    await manager.runMaintenance();
    for (const p of [0, 1]) expect(manager.partition('short', p)?.logStartOffset()).toBe(1n);
  });
});
