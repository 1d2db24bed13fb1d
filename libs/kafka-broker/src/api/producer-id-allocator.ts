import { promises as fs } from 'fs';
import * as path from 'path';

const FILE = 'producer-ids.json';
const BLOCK = 1000n;

/**
 * Hands out producer ids for idempotent producers. Ids must never repeat across restarts (the log
 * keeps sequence state per id), so the allocator persists the end of a reserved block before using
 * any id in it — one small fsync'd write per thousand producers, like Kafka's ProducerIdManager.
 */
export class ProducerIdAllocator {
  private next = 0n;
  private reservedUntil = 0n;
  private pending: Promise<void> = Promise.resolve();

  private constructor(private readonly file: string) {}

  static async open(dataDir: string): Promise<ProducerIdAllocator> {
    const allocator = new ProducerIdAllocator(path.join(dataDir, FILE));
    try {
      const saved = JSON.parse(await fs.readFile(allocator.file, 'utf8')) as { reservedUntil: string };
      allocator.next = BigInt(saved.reservedUntil);
      allocator.reservedUntil = allocator.next;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    return allocator;
  }

  allocate(): Promise<bigint> {
    const result = this.pending.then(async () => {
      if (this.next >= this.reservedUntil) await this.reserve(this.next + BLOCK);
      return this.next++;
    });
    this.pending = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  private async reserve(until: bigint): Promise<void> {
    const tmp = `${this.file}.tmp`;
    const handle = await fs.open(tmp, 'w');
    try {
      await handle.writeFile(JSON.stringify({ reservedUntil: until.toString() }));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(tmp, this.file);
    this.reservedUntil = until;
  }
}
