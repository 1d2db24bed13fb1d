import * as fs from 'fs';
import * as path from 'path';
import { offsetFileName, readFileIfExists, unlinkIfExists, writeFileAtomicSync } from './files';
import type { ProducerStateTable, SnapshotProducer } from './producer-state';

/**
 * The small files beside a partition's segments that let a restart skip work (ADR 0016, 0017, 0019):
 * offset checkpoints and producer state snapshots. All are written atomically.
 */

/** The log start offset, moved by retention and DeleteRecords (ADR 0019). */
export const LOG_START_FILE = 'log-start-offset';
/** Everything below this offset is synced; recovery checks from its segment on (ADR 0017). */
export const RECOVERY_POINT_FILE = 'recovery-point';

const SNAPSHOT_SUFFIX = '.snapshot';
const SNAPSHOT_FILE = /^\d{20}\.snapshot$/;
const SNAPSHOTS_KEPT = 2;

export function saveOffsetCheckpoint(dir: string, name: string, offset: bigint, durable: boolean): void {
  writeFileAtomicSync(path.join(dir, name), `${offset}\n`, durable);
}

export function readOffsetCheckpoint(dir: string, name: string): bigint | undefined {
  const text = readFileIfExists(path.join(dir, name))?.toString('utf8').trim();
  return text !== undefined && /^\d+$/.test(text) ? BigInt(text) : undefined;
}

export function producerSnapshotPath(dir: string, offset: bigint): string {
  return path.join(dir, offsetFileName(offset, SNAPSHOT_SUFFIX));
}

/** Writes `<offset>.snapshot` and keeps only the newest few. */
export function writeProducerSnapshot(
  dir: string,
  offset: bigint,
  producers: ProducerStateTable,
  durable: boolean,
): void {
  writeFileAtomicSync(
    producerSnapshotPath(dir, offset),
    JSON.stringify({ version: 1, offset: offset.toString(), producers: producers.toJSON() }),
    durable,
  );
  const older = fs
    .readdirSync(dir)
    .filter((f) => SNAPSHOT_FILE.test(f))
    .sort()
    .reverse()
    .slice(SNAPSHOTS_KEPT);
  for (const f of older) unlinkIfExists(path.join(dir, f));
}

/** Offsets of the producer state snapshots in `dir`, newest first. */
export function producerSnapshotOffsets(dir: string): bigint[] {
  return fs
    .readdirSync(dir)
    .filter((f) => SNAPSHOT_FILE.test(f))
    .map((f) => BigInt(f.slice(0, 20)))
    .sort((a, b) => (a < b ? 1 : a > b ? -1 : 0));
}

/** The producers of one snapshot file; throws when it is unreadable. */
export function readProducerSnapshot(file: string): SnapshotProducer[] {
  const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as { producers: SnapshotProducer[] };
  return parsed.producers;
}
