import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { Kafka, logLevel, type KafkaConfig } from 'kafkajs';
import { startBroker, type BrokerOptions } from '@upshift/kafka-broker';

export interface TestBrokerOptions extends Partial<BrokerOptions> {
  /** Names the temporary data dir (`upshift-<label>-broker-…`), so a leftover one says whose it is. */
  label?: string;
}

/** The embedded broker one test file (or one stack) runs against. */
export interface TestBroker {
  host: string;
  port: number;
  /** host:port, the bootstrap address. */
  address: string;
  /** `[address]`: a client's `brokers` list (`.join(',')` for KAFKA_BROKERS). */
  brokers: string[];
  /** Where the broker keeps its logs and offsets. */
  dataDir: string;
  /** A plain kafkajs client of this broker, quiet unless `config` says otherwise. */
  kafka(config?: Partial<KafkaConfig>): Kafka;
  /** Stops the broker, then removes its data dir unless the caller passed one in. */
  stop(): Promise<void>;
}

/**
 * Starts the embedded broker on a free port of 127.0.0.1 with a fresh temporary data dir. Pass
 * `dataDir` to keep the data across a restart (the caller then owns and removes the directory);
 * every other BrokerOptions field (SASL, TLS, partitions, frame limits) goes to the broker as is.
 */
export async function startTestBroker(options: TestBrokerOptions = {}): Promise<TestBroker> {
  const { label = 'test', ...brokerOptions } = options;
  const ownsDataDir = brokerOptions.dataDir === undefined;
  const dataDir = brokerOptions.dataDir ?? mkdtempSync(path.join(tmpdir(), `upshift-${label}-broker-`));
  const removeDataDir = () => {
    if (ownsDataDir) rmSync(dataDir, { recursive: true, force: true });
  };
  const running = await startBroker({ port: 0, ...brokerOptions, dataDir }).catch((error: unknown) => {
    removeDataDir();
    throw error;
  });
  let stopped: Promise<void> | undefined;
  return {
    host: running.host,
    port: running.port,
    address: running.address,
    brokers: [running.address],
    dataDir,
    kafka: (config = {}) =>
      new Kafka({
        clientId: `${label}-client`,
        brokers: [running.address],
        logLevel: logLevel.NOTHING,
        ...config,
      }),
    // Idempotent: a suite's afterAll and a failed beforeAll's cleanup may both call it.
    stop: () => (stopped ??= running.stop().finally(removeDataDir)),
  };
}
