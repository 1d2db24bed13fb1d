import { randomUUID } from 'crypto';
import { promises as fs } from 'fs';
import * as path from 'path';
import * as tls from 'tls';
import type { BrokerContext } from './api/handler';
import { ProducerIdAllocator } from './api/producer-id-allocator';
import { GroupCoordinator } from './group/group-coordinator';
import { type FsyncPolicy, LogManager } from './log/log-manager';
import { type Logger, silentLogger } from './logger';
import { OffsetStore } from './offsets/offset-store';
import { loadSaslUsers } from './sasl/users';
import { BrokerServer } from './server/server';
import { BrokerTraffic } from './metrics/broker-traffic';

export interface BrokerOptions {
  /** 0 picks a free port (tests). */
  port: number;
  /** Address to listen on; default 127.0.0.1. */
  host?: string;
  /** Address given to clients in Metadata; default the listening address (127.0.0.1 for 0.0.0.0/::). */
  advertisedHost?: string;
  /**
   * More listeners on the same broker, each telling its clients its own address (Kafka's listeners and
   * advertised.listeners): e.g. one for containers on a Docker network and one for the host through a
   * published port. Same protocol (TLS, SASL) as the main listener.
   */
  extraListeners?: ExtraListener[];
  dataDir: string;
  /** Create topics on first Metadata mention (Kafka's auto.create.topics.enable); default true. */
  autoCreateTopics?: boolean;
  /** Partitions of auto-created topics and of CreateTopics with -1 (num.partitions); default 1. */
  defaultPartitions?: number;
  fsync?: FsyncPolicy;
  fsyncIntervalMs?: number;
  /**
   * Turns on SASL (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512); see sasl/users.ts for the file's format.
   * Off when absent.
   */
  saslUsersFile?: string;
  /** Serve TLS instead of plain TCP (SSL, or SASL_SSL with saslUsersFile): PEM files. */
  tls?: { certFile: string; keyFile: string };
  logger?: Logger;
  nodeId?: number;
  /** group.initial.rebalance.delay.ms; default 0 (Kafka: 3000) so tests form groups at once. */
  groupInitialRebalanceDelayMs?: number;
  /** group.min.session.timeout.ms; default 6000 as in Kafka. */
  groupMinSessionTimeoutMs?: number;
  /** socket.request.max.bytes; default 100 MiB as in Kafka. */
  maxFrameBytes?: number;
  /** With SASL on, the largest frame before authentication (sasl.server.max.receive.size); 1 MiB. */
  maxPreAuthFrameBytes?: number;
  /** message.max.bytes; default 1 MiB + overhead as in Kafka. */
  maxMessageBytes?: number;
}

export interface ExtraListener {
  host: string;
  port: number;
  /** What Metadata and FindCoordinator answer to clients of this listener. */
  advertised: { host: string; port: number };
}

export interface RunningBroker {
  port: number;
  host: string;
  /** host:port, ready for a client's `brokers` list. */
  address: string;
  /** Per-topic traffic since start; `startBrokerMetricsServer` serves it. */
  traffic: BrokerTraffic;
  stop(): Promise<void>;
}

/** Kafka-style cluster id: 16 random bytes, base64url (22 characters); kept in the data dir. */
async function loadClusterId(dataDir: string): Promise<string> {
  const file = path.join(dataDir, 'cluster-id');
  try {
    return (await fs.readFile(file, 'utf8')).trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const id = Buffer.from(randomUUID().replace(/-/g, ''), 'hex').toString('base64url');
  await fs.writeFile(file, id + '\n');
  return id;
}

/**
 * Reads the PEM certificate and key, and checks that they load (and match) before any log file is
 * opened, so that a bad pair fails start-up cleanly with the file names.
 */
async function readTlsFiles(files: { certFile: string; keyFile: string }): Promise<tls.TlsOptions> {
  const options = { cert: await fs.readFile(files.certFile), key: await fs.readFile(files.keyFile) };
  try {
    tls.createSecureContext(options);
  } catch (err) {
    throw new Error(
      `TLS certificate ${files.certFile} and key ${files.keyFile} do not load: ${(err as Error).message}`,
    );
  }
  return options;
}

/**
 * Starts the embedded single-node Kafka broker: storage under dataDir, a TCP listener speaking the
 * Kafka protocol (see api/versions.ts for what), and the group coordinator.
 */
export async function startBroker(opts: BrokerOptions): Promise<RunningBroker> {
  const logger = opts.logger ?? silentLogger;
  const host = opts.host ?? '127.0.0.1';
  const nodeId = opts.nodeId ?? 1;
  await fs.mkdir(opts.dataDir, { recursive: true });
  const clusterId = await loadClusterId(opts.dataDir);
  const saslUsers = opts.saslUsersFile ? await loadSaslUsers(opts.saslUsersFile) : null;
  const tlsOptions = opts.tls ? await readTlsFiles(opts.tls) : undefined;
  const logs = await LogManager.open({
    dataDir: opts.dataDir,
    fsync: opts.fsync ?? 'interval',
    fsyncIntervalMs: opts.fsyncIntervalMs,
    logger,
  });
  // Committed offsets follow the broker's fsync policy, like the partition logs (ADR 0018).
  const offsets = await OffsetStore.open(opts.dataDir, {
    fsync: opts.fsync ?? 'interval',
    fsyncIntervalMs: opts.fsyncIntervalMs,
    logger,
  });
  const producerIds = await ProducerIdAllocator.open(opts.dataDir);
  const groups = new GroupCoordinator({
    logger,
    initialRebalanceDelayMs: opts.groupInitialRebalanceDelayMs,
    minSessionTimeoutMs: opts.groupMinSessionTimeoutMs,
  });

  // Filled in once the listener is bound (port 0 → the port the OS picked).
  const advertised = { host, port: opts.port };
  const context: BrokerContext = {
    nodeId,
    clusterId,
    advertised,
    settings: {
      autoCreateTopics: opts.autoCreateTopics ?? true,
      defaultPartitions: opts.defaultPartitions ?? 1,
      maxMessageBytes: opts.maxMessageBytes ?? 1048588,
    },
    logs,
    offsets,
    groups,
    producerIds,
    logger,
    saslUsers,
    traffic: new BrokerTraffic(),
  };
  const connectionOptions = {
    maxFrameBytes: opts.maxFrameBytes ?? 100 * 1024 * 1024,
    maxPreAuthFrameBytes: opts.maxPreAuthFrameBytes ?? 1024 * 1024,
    maxQueuedRequests: 64,
  };
  const server = new BrokerServer(context, connectionOptions, tlsOptions);
  let bound: { port: number; host: string };
  try {
    bound = await server.listen(opts.port, host);
  } catch (err) {
    await offsets.close();
    await logs.close();
    throw err;
  }
  // Each extra listener shares the broker's stores; only the address its clients are told differs.
  const extraServers: BrokerServer[] = [];
  for (const listener of opts.extraListeners ?? []) {
    const extra = new BrokerServer(
      { ...context, advertised: listener.advertised },
      connectionOptions,
      tlsOptions,
    );
    try {
      const at = await extra.listen(listener.port, listener.host);
      logger.info(
        {
          host: at.host,
          port: at.port,
          advertised: `${listener.advertised.host}:${listener.advertised.port}`,
        },
        `also listening on ${at.host}:${at.port}`,
      );
    } catch (err) {
      await Promise.all([server, ...extraServers].map((s) => s.close()));
      await offsets.close();
      await logs.close();
      throw err;
    }
    extraServers.push(extra);
  }
  const wildcard = bound.host === '0.0.0.0' || bound.host === '::';
  const advertisedHost = opts.advertisedHost ?? (wildcard ? '127.0.0.1' : bound.host);
  advertised.host = advertisedHost;
  advertised.port = bound.port;
  logger.info(
    {
      host: bound.host,
      port: bound.port,
      advertised: `${advertisedHost}:${bound.port}`,
      dataDir: opts.dataDir,
      sasl: saslUsers !== null,
      tls: tlsOptions !== undefined,
      clusterId,
    },
    `listening on ${bound.host}:${bound.port}`,
  );

  let stopping: Promise<void> | undefined;
  return {
    port: bound.port,
    host: advertisedHost,
    address: `${advertisedHost}:${bound.port}`,
    traffic: context.traffic,
    stop() {
      stopping ??= (async () => {
        groups.shutdown();
        await Promise.all([server, ...extraServers].map((s) => s.close()));
        await offsets.close();
        await logs.close();
        logger.info({ port: bound.port }, 'broker stopped');
      })();
      return stopping;
    },
  };
}
