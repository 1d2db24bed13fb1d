import * as fs from 'fs';
import * as path from 'path';

/** How hard the log pushes writes to the disk before acknowledging them (ADR 0016). */
export type FsyncPolicy = 'always' | 'interval' | 'never';

/**
 * Replaces `file` with `data` so that a crash leaves either the old or the new content: write a
 * temporary file, flush it, rename it over the target, flush the directory entry.
 */
export function writeFileAtomicSync(file: string, data: Buffer | string, durable: boolean): void {
  const tmp = `${file}.tmp`;
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeFileSync(fd, data);
    if (durable) fs.fdatasyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  if (durable) fsyncDirSync(path.dirname(file));
}

/** Makes a directory's entries (created, renamed, deleted files) durable. */
export function fsyncDirSync(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Writes all of `buf` at `position`, looping over short writes. */
export function writeFullySync(fd: number, buf: Buffer, position: number): void {
  let done = 0;
  while (done < buf.length) {
    done += fs.writeSync(fd, buf, done, buf.length - done, position + done);
  }
}

/** Reads up to `length` bytes at `position` into `into` (from `at`); fewer only at end of file. */
export function readFullySync(
  fd: number,
  into: Buffer,
  at: number,
  length: number,
  position: number,
): number {
  let done = 0;
  while (done < length) {
    const n = fs.readSync(fd, into, at + done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}

export function fdatasync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fs.fdatasync(fd, (err) => (err ? reject(err) : resolve())));
}

export function readFileIfExists(file: string): Buffer | undefined {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

export function unlinkIfExists(file: string): void {
  try {
    fs.unlinkSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/** 20 zero-padded digits, as Kafka names segment files, so names sort in offset order. */
export function offsetFileName(offset: bigint, suffix: string): string {
  return `${offset.toString().padStart(20, '0')}${suffix}`;
}
