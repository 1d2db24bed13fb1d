import * as fs from 'fs';
import * as path from 'path';
import type { Logger } from '../logger';
import { silentLogger } from '../logger';
import {
  type FsyncPolicy,
  fsyncDirSync,
  readFileIfExists,
  unlinkIfExists,
  writeFileAtomicSync,
} from './files';
import { PartitionLog } from './partition-log';
import {
  checkTopicName,
  resolveTopicConfig,
  type ResolvedTopicConfig,
  type TopicConfig,
  validateTopicConfigs,
} from './topic-config';

export type { FsyncPolicy } from './files';
export {
  InvalidConfigError,
  InvalidTopicError,
  TOPIC_CONFIG_DEFAULTS,
  type TopicConfig,
} from './topic-config';

/** CreateTopics on a name that exists: Kafka's TOPIC_ALREADY_EXISTS. */
export class TopicExistsError extends Error {
  readonly code = 36;
  constructor(topic: string) {
    super(`topic ${topic} already exists`);
    this.name = 'TopicExistsError';
  }
}

/** Kafka's UNKNOWN_TOPIC_OR_PARTITION. */
export class UnknownTopicError extends Error {
  readonly code = 3;
  constructor(topic: string) {
    super(`topic ${topic} does not exist`);
    this.name = 'UnknownTopicError';
  }
}

/** Kafka's INVALID_PARTITIONS: a partition count below 1, or CreatePartitions that does not grow the topic. */
export class InvalidPartitionsError extends Error {
  readonly code = 37;
  constructor(message: string) {
    super(message);
    this.name = 'InvalidPartitionsError';
  }
}

/** Another process (or another LogManager in this one) has the data directory open. */
export class DataDirLockedError extends Error {
  constructor(dataDir: string, pid: number) {
    super(`data directory ${dataDir} is in use by process ${pid}; stop it or choose another --data-dir`);
    this.name = 'DataDirLockedError';
  }
}

export interface LogManagerOptions {
  dataDir: string;
  fsync: FsyncPolicy;
  /** With fsync=interval: how often dirty partitions are synced (default 1000 ms). */
  fsyncIntervalMs?: number;
  logger?: Logger;
  /** Broker-wide defaults for topic configs (Kafka names), under each topic's own settings. */
  topicDefaults?: Record<string, string>;
  /** How often retention and compaction run (default 30 s; 0 turns the timer off, e.g. in tests). */
  maintenanceIntervalMs?: number;
}

interface TopicState {
  name: string;
  config: ResolvedTopicConfig;
  partitions: PartitionLog[];
}

interface TopicFile {
  name: string;
  partitions: number;
  configs: Record<string, string>;
}

const META_DIR = 'meta';
const TOPICS_DIR = 'topics';
const TRASH_DIR = 'trash';
const LOCK_FILE = 'lock';
const CLEAN_SHUTDOWN_FILE = 'clean-shutdown';
const PARTITION_DIR = /^(.+)-(\d+)$/;
const openDataDirs = new Set<string>();

/**
 * Owns the data directory: topic metadata, one PartitionLog per partition, and the timers for
 * fsync=interval and for retention/compaction (ADR 0015–0019).
 *
 * Layout under dataDir:
 *   <topic>-<partition>/        segments, indexes, producer snapshots, checkpoints (PartitionLog)
 *   meta/topics/<topic>.json    partition count and the configs set at creation
 *   meta/clean-shutdown         present only while no broker has the directory open
 *   meta/lock                   pid of the broker that has it open
 *   meta/trash/                 deleted topics' directories, removed in the background
 */
export class LogManager {
  private readonly topics = new Map<string, TopicState>();
  private readonly metaDir: string;
  private readonly fsync: FsyncPolicy;
  private readonly logger: Logger;
  private readonly topicDefaults: Record<string, string>;
  private timers: NodeJS.Timeout[] = [];
  private adminChain: Promise<unknown> = Promise.resolve();
  private maintenanceRunning: Promise<void> | null = null;
  private closed = false;

  private constructor(private readonly opts: LogManagerOptions) {
    this.metaDir = path.join(opts.dataDir, META_DIR);
    this.fsync = opts.fsync;
    this.logger = opts.logger ?? silentLogger;
    this.topicDefaults = opts.topicDefaults ?? {};
  }

  static async open(opts: LogManagerOptions): Promise<LogManager> {
    const manager = new LogManager(opts);
    await manager.load();
    return manager;
  }

  listTopics(): { name: string; config: TopicConfig }[] {
    return [...this.topics.values()].map((t) => ({ name: t.name, config: t.config }));
  }

  getTopic(name: string): { name: string; config: TopicConfig } | undefined {
    const topic = this.topics.get(name);
    return topic && { name: topic.name, config: topic.config };
  }

  /** Creates a topic; throws TopicExistsError, InvalidTopicError, InvalidPartitionsError or InvalidConfigError. */
  createTopic(name: string, partitions: number, configs: Record<string, string>): Promise<void> {
    return this.serialised(async () => {
      checkTopicName(name);
      if (this.topics.has(name)) throw new TopicExistsError(name);
      if (!Number.isInteger(partitions) || partitions < 1) {
        throw new InvalidPartitionsError(`a topic needs at least 1 partition, got ${partitions}`);
      }
      validateTopicConfigs(configs);
      const config = resolveTopicConfig(partitions, configs, this.topicDefaults);
      // The topic file is the commit point: partition directories without one are removed on open.
      this.writeTopicFile({ name, partitions, configs });
      const state: TopicState = { name, config, partitions: [] };
      for (let p = 0; p < partitions; p++)
        state.partitions.push(await this.openPartition(name, p, config, true));
      this.topics.set(name, state);
      this.logger.info({ topic: name, partitions, configs }, 'created topic');
    });
  }

  deleteTopic(name: string): Promise<void> {
    return this.serialised(async () => {
      const topic = this.topics.get(name);
      if (topic === undefined) throw new UnknownTopicError(name);
      this.topics.delete(name);
      unlinkIfExists(this.topicFile(name));
      if (this.durable) fsyncDirSync(path.join(this.metaDir, TOPICS_DIR));
      for (const partition of topic.partitions) {
        await partition.destroy();
        this.moveToTrash(partition.dir);
      }
      this.emptyTrashInBackground();
      this.logger.info({ topic: name }, 'deleted topic');
    });
  }

  /** CreatePartitions: grows a topic to `totalCount` partitions. */
  createPartitions(name: string, totalCount: number): Promise<void> {
    return this.serialised(async () => {
      const topic = this.topics.get(name);
      if (topic === undefined) throw new UnknownTopicError(name);
      const current = topic.partitions.length;
      if (!Number.isInteger(totalCount) || totalCount <= current) {
        throw new InvalidPartitionsError(
          `topic ${name} has ${current} partitions; the new count must be larger, got ${totalCount}`,
        );
      }
      this.writeTopicFile({ name, partitions: totalCount, configs: topic.config.raw });
      topic.config = resolveTopicConfig(totalCount, topic.config.raw, this.topicDefaults);
      for (let p = current; p < totalCount; p++)
        topic.partitions.push(await this.openPartition(name, p, topic.config, true));
      for (const partition of topic.partitions) partition.updateConfig(topic.config);
      this.logger.info({ topic: name, from: current, to: totalCount }, 'added partitions');
    });
  }

  partition(topic: string, partition: number): PartitionLog | undefined {
    return this.topics.get(topic)?.partitions[partition];
  }

  /** One retention/compaction pass over every partition (also run by the timer). */
  runMaintenance(nowMs = Date.now()): Promise<void> {
    if (this.maintenanceRunning !== null) return this.maintenanceRunning;
    const run = (async () => {
      for (const topic of [...this.topics.values()]) {
        for (const partition of topic.partitions) {
          if (this.closed) return;
          try {
            await partition.runMaintenance(nowMs);
          } catch (err) {
            this.logger.error(
              { err, topic: topic.name, partition: partition.partition },
              'log maintenance failed',
            );
          }
        }
      }
    })();
    this.maintenanceRunning = run.finally(() => {
      this.maintenanceRunning = null;
    });
    return this.maintenanceRunning;
  }

  /** Syncs every partition written since its last sync (the fsync=interval timer calls this). */
  async flush(): Promise<void> {
    const all = [...this.topics.values()].flatMap((t) => t.partitions);
    await Promise.all(all.map((p) => p.flush()));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    await this.adminChain.catch(() => undefined);
    // Closing a partition stops a compaction in progress at its next yield.
    for (const topic of this.topics.values()) {
      for (const partition of topic.partitions) await partition.close();
    }
    await this.maintenanceRunning;
    writeFileAtomicSync(
      path.join(this.metaDir, CLEAN_SHUTDOWN_FILE),
      `${new Date().toISOString()}\n`,
      this.durable,
    );
    unlinkIfExists(path.join(this.metaDir, LOCK_FILE));
    openDataDirs.delete(path.resolve(this.opts.dataDir));
    this.logger.info({ dataDir: this.opts.dataDir }, 'log closed cleanly');
  }

  // ---------------------------------------------------------------------------------------------

  private get durable(): boolean {
    return this.fsync !== 'never';
  }

  private async load(): Promise<void> {
    const dataDir = this.opts.dataDir;
    fs.mkdirSync(path.join(this.metaDir, TOPICS_DIR), { recursive: true });
    fs.mkdirSync(path.join(this.metaDir, TRASH_DIR), { recursive: true });
    this.lock();
    const cleanFile = path.join(this.metaDir, CLEAN_SHUTDOWN_FILE);
    const cleanShutdown = fs.existsSync(cleanFile);
    // Gone before the first write: if this process dies, the next start knows to recover.
    unlinkIfExists(cleanFile);
    fsyncDirSync(this.metaDir);
    this.emptyTrashInBackground();
    const started = Date.now();
    for (const file of fs.readdirSync(path.join(this.metaDir, TOPICS_DIR))) {
      if (!file.endsWith('.json')) continue;
      const saved = readTopicFile(path.join(this.metaDir, TOPICS_DIR, file));
      let config: ResolvedTopicConfig;
      try {
        config = resolveTopicConfig(saved.partitions, saved.configs, this.topicDefaults);
      } catch (err) {
        this.logger.error({ err, topic: saved.name }, 'stored topic config is invalid; using defaults');
        config = resolveTopicConfig(saved.partitions, {}, this.topicDefaults);
      }
      const state: TopicState = { name: saved.name, config, partitions: [] };
      for (let p = 0; p < saved.partitions; p++) {
        state.partitions.push(await this.openPartition(saved.name, p, config, cleanShutdown));
      }
      this.topics.set(saved.name, state);
    }
    for (const entry of fs.readdirSync(dataDir, { withFileTypes: true })) {
      const match = PARTITION_DIR.exec(entry.name);
      if (!entry.isDirectory() || match === null) continue;
      const topic = this.topics.get(match[1]);
      if (topic !== undefined && Number(match[2]) < topic.partitions.length) continue;
      const dir = path.join(dataDir, entry.name);
      if (!fs.readdirSync(dir).some((f) => /^\d{20}\.log$/.test(f))) continue; // not ours
      this.logger.warn(
        { dir },
        'removing a partition directory that belongs to no topic (an interrupted create or delete)',
      );
      this.moveToTrash(dir);
    }
    this.emptyTrashInBackground();
    this.logger.info(
      { dataDir, topics: this.topics.size, cleanShutdown, ms: Date.now() - started, fsync: this.fsync },
      'log opened',
    );
    if (this.fsync === 'interval') {
      const every = this.opts.fsyncIntervalMs ?? 1000;
      this.timers.push(setInterval(() => void this.flush(), every).unref());
    }
    const maintenanceEvery = this.opts.maintenanceIntervalMs ?? 30_000;
    if (maintenanceEvery > 0)
      this.timers.push(setInterval(() => void this.runMaintenance(), maintenanceEvery).unref());
  }

  private lock(): void {
    const dataDir = path.resolve(this.opts.dataDir);
    if (openDataDirs.has(dataDir)) throw new DataDirLockedError(dataDir, process.pid);
    const lockFile = path.join(this.metaDir, LOCK_FILE);
    const holder = Number(readFileIfExists(lockFile)?.toString('utf8').trim());
    if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder)) {
      throw new DataDirLockedError(dataDir, holder);
    }
    writeFileAtomicSync(lockFile, `${process.pid}\n`, false);
    openDataDirs.add(dataDir);
  }

  private openPartition(
    topic: string,
    partition: number,
    config: ResolvedTopicConfig,
    cleanShutdown: boolean,
  ): Promise<PartitionLog> {
    return PartitionLog.open({
      dir: path.join(this.opts.dataDir, `${topic}-${partition}`),
      topic,
      partition,
      config,
      fsync: this.fsync,
      cleanShutdown,
      logger: this.logger,
    });
  }

  private topicFile(name: string): string {
    return path.join(this.metaDir, TOPICS_DIR, `${name}.json`);
  }

  private writeTopicFile(topic: TopicFile): void {
    writeFileAtomicSync(this.topicFile(topic.name), JSON.stringify(topic, null, 2), this.durable);
  }

  private moveToTrash(dir: string): void {
    try {
      fs.renameSync(
        dir,
        path.join(this.metaDir, TRASH_DIR, `${path.basename(dir)}.${Date.now()}.${process.hrtime.bigint()}`),
      );
    } catch (err) {
      this.logger.error({ err, dir }, 'could not move a deleted partition to the trash');
    }
  }

  private emptyTrashInBackground(): void {
    const trash = path.join(this.metaDir, TRASH_DIR);
    for (const entry of fs.readdirSync(trash)) {
      fs.promises
        .rm(path.join(trash, entry), { recursive: true, force: true })
        .catch((err: unknown) => this.logger.warn({ err, entry }, 'could not empty the trash'));
    }
  }

  private serialised<T>(task: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error('the log manager is closed'));
    const run = this.adminChain.then(task, task);
    this.adminChain = run.catch(() => undefined);
    return run;
  }
}

function readTopicFile(file: string): TopicFile {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as TopicFile;
  } catch (err) {
    throw new Error(
      `topic metadata ${file} is unreadable (${String(err)}); restore or remove it and its partition directories`,
    );
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
