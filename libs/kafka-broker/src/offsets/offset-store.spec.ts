import * as fs from 'fs';
import * as path from 'path';
import { removeDir, tempDir } from '../log/test-helpers';
import { OffsetStore } from './offset-store';

const dirs: string[] = [];
const stores: OffsetStore[] = [];
function freshDir(): string {
  const dir = tempDir('offsets');
  dirs.push(dir);
  return dir;
}
async function openStore(
  dir: string,
  fsync: 'always' | 'interval' | 'never' = 'always',
): Promise<OffsetStore> {
  const store = await OffsetStore.open(dir, { fsync, fsyncIntervalMs: 20 });
  stores.push(store);
  return store;
}
afterAll(async () => {
  for (const s of stores) await s.close();
  dirs.forEach(removeDir);
});

describe('OffsetStore', () => {
  it('keeps the latest commit per group, topic and partition, with metadata', async () => {
    const store = await openStore(freshDir());
    await store.commit('g', 't', 0, 5n, null);
    await store.commit('g', 't', 0, 9n, 'm');
    await store.commit('g', 't', 1, 3n, '');
    await store.commit('other', 't', 0, 1n, null);
    expect(store.fetch('g', 't', 0)).toEqual({ offset: 9n, metadata: 'm' });
    expect(store.fetch('g', 't', 1)).toEqual({ offset: 3n, metadata: '' });
    expect(store.fetch('g', 't', 2)).toBeUndefined();
    expect(store.listForGroup('g')).toEqual([
      { topic: 't', partition: 0, offset: 9n, metadata: 'm' },
      { topic: 't', partition: 1, offset: 3n, metadata: '' },
    ]);
    expect(store.listGroups().sort()).toEqual(['g', 'other']);
  });

  it('survives a restart, including deleted groups and offsets', async () => {
    const dir = freshDir();
    const store = await openStore(dir);
    await store.commitMany('g', [
      { topic: 'a', partition: 0, offset: 10n, metadata: 'ünïcödé' },
      { topic: 'b', partition: 2, offset: 20n, metadata: null },
    ]);
    await store.commit('gone', 'a', 0, 1n, null);
    await store.deleteGroup('gone');
    await store.commit('g', 'c', 0, 1n, null);
    await store.deleteOffset('g', 'c', 0);
    await store.close();
    const reopened = await openStore(dir);
    expect(reopened.listForGroup('g')).toEqual([
      { topic: 'a', partition: 0, offset: 10n, metadata: 'ünïcödé' },
      { topic: 'b', partition: 2, offset: 20n, metadata: null },
    ]);
    expect(reopened.listForGroup('gone')).toEqual([]);
  });

  it('cuts off a torn last record and keeps everything before it', async () => {
    const dir = freshDir();
    const store = await openStore(dir);
    await store.commit('g', 't', 0, 1n, null);
    await store.commit('g', 't', 0, 2n, null);
    const file = path.join(dir, 'meta', 'consumer-offsets.log');
    const crashed = freshDir();
    fs.mkdirSync(path.join(crashed, 'meta'));
    const bytes = fs.readFileSync(file);
    fs.writeFileSync(path.join(crashed, 'meta', 'consumer-offsets.log'), bytes.subarray(0, bytes.length - 3));
    const recovered = await openStore(crashed);
    expect(recovered.fetch('g', 't', 0)).toEqual({ offset: 1n, metadata: null });
    await recovered.commit('g', 't', 0, 3n, null);
    await recovered.close();
    expect((await openStore(crashed)).fetch('g', 't', 0)).toEqual({ offset: 3n, metadata: null });
  });

  it('rewrites its file once it is mostly superseded commits, losing nothing', async () => {
    const dir = freshDir();
    const store = await openStore(dir, 'never');
    const file = path.join(dir, 'meta', 'consumer-offsets.log');
    for (let i = 0; i < 120_000; i++) await store.commit('g', 'topic', i % 3, BigInt(i), 'meta');
    expect(fs.statSync(file).size).toBeLessThan(4 * 1024 * 1024);
    await store.close();
    const reopened = await openStore(dir, 'never');
    expect(reopened.listForGroup('g').map((e) => e.offset)).toEqual([119997n, 119998n, 119999n]);
  });

  it('acknowledges concurrent commits with shared syncs', async () => {
    const store = await openStore(freshDir());
    await Promise.all(Array.from({ length: 50 }, (_, i) => store.commit('g', 't', i, BigInt(i), null)));
    expect(store.listForGroup('g')).toHaveLength(50);
  });

  it('with fsync=interval, a commit is written before it is acknowledged: a second reader sees it at once', async () => {
    const dir = freshDir();
    const store = await openStore(dir, 'interval');
    await store.commit('g', 't', 0, 42n, 'm');
    // As a broker restarted after being killed would read it (the write is in the file, synced later).
    const reader = await openStore(dir, 'interval');
    expect(reader.fetch('g', 't', 0)).toEqual({ offset: 42n, metadata: 'm' });
    await new Promise((resolve) => setTimeout(resolve, 50)); // the interval sync runs and finds nothing wrong
    await store.commit('g', 't', 0, 43n, null);
    expect(store.fetch('g', 't', 0)?.offset).toBe(43n);
  });
});
