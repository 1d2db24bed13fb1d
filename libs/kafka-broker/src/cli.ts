import { parseArgs } from 'util';
import { type ExtraListener, startBroker } from './broker';
import type { FsyncPolicy } from './log/log-manager';
import { jsonLogger } from './logger';
import { startBrokerMetricsServer } from './metrics/metrics-server';
import { METRICS_USAGE, metricsPortFrom } from './metrics/metrics-options';

const USAGE = `usage: npm run broker -- --port 9092 --data-dir .data/kafka [--host 127.0.0.1]
  [--advertised-host HOST] [--partitions 1] [--no-auto-create-topics]
  [--fsync always|interval|never] [--sasl-users FILE] [--tls-cert FILE --tls-key FILE]
  [--log-level debug|info|warn|error] [--extra-listener HOST:PORT=ADVERTISED_HOST:PORT ...]

  --sasl-users FILE   turn on SASL with these users: PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512.
                      JSON {"user":"password"} or user:password lines; SCRAM keys are derived
                      (salted) at start-up. Before authenticating, a client may send frames of
                      at most 1 MiB.
  --tls-cert FILE     serve TLS with this PEM certificate (chain); needs --tls-key.
  --tls-key FILE      the certificate's PEM private key (unencrypted).
                      Both --sasl-users and --tls-*: SASL_SSL. Only --tls-*: SSL.
  --extra-listener HOST:PORT=ADVERTISED_HOST:PORT
                      one more listener (repeatable) whose clients are told ADVERTISED_HOST:PORT,
                      e.g. 0.0.0.0:9094=127.0.0.1:9092 for the host through a published port while
                      containers use --advertised-host (Kafka's listeners/advertised.listeners).`;

/** `0.0.0.0:9094=127.0.0.1:9092` → where to listen, and what this listener's clients are told. */
function parseExtraListener(value: string): ExtraListener {
  const hostPort = (text: string | undefined) => {
    const match = /^(.+):(\d{1,5})$/.exec(text ?? '');
    const port = Number(match?.[2]);
    return match?.[1] && port <= 65535 ? { host: match[1].replace(/^\[(.*)\]$/, '$1'), port } : undefined;
  };
  const [bind, advertised] = value.split('=');
  const listen = hostPort(bind);
  const tell = hostPort(advertised);
  if (!listen || !tell)
    throw new Error(`--extra-listener must be HOST:PORT=ADVERTISED_HOST:PORT, got ${value}\n${USAGE}`);
  return { ...listen, advertised: tell };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '9092' },
      host: { type: 'string', default: '127.0.0.1' },
      'advertised-host': { type: 'string' },
      'data-dir': { type: 'string', default: '.data/kafka' },
      partitions: { type: 'string', default: '1' },
      'no-auto-create-topics': { type: 'boolean', default: false },
      fsync: { type: 'string', default: 'interval' },
      'sasl-users': { type: 'string' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      'log-level': { type: 'string', default: 'info' },
      'extra-listener': { type: 'string', multiple: true, default: [] },
      'metrics-port': { type: 'string' },
      'metrics-host': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE + METRICS_USAGE);
    return;
  }
  const port = Number(values.port);
  const partitions = Number(values.partitions);
  const fsync = values.fsync as FsyncPolicy;
  const level = values['log-level'] as 'debug' | 'info' | 'warn' | 'error';
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`--port must be 0–65535, got ${values.port}\n${USAGE}`);
  if (!Number.isInteger(partitions) || partitions < 1)
    throw new Error(`--partitions must be a positive integer\n${USAGE}`);
  if (!['always', 'interval', 'never'].includes(fsync))
    throw new Error(`--fsync must be always, interval or never\n${USAGE}`);
  const tlsCert = values['tls-cert'];
  const tlsKey = values['tls-key'];
  if ((tlsCert === undefined) !== (tlsKey === undefined))
    throw new Error(`--tls-cert and --tls-key go together\n${USAGE}`);
  if (!['debug', 'info', 'warn', 'error'].includes(level))
    throw new Error(`--log-level must be debug, info, warn or error\n${USAGE}`);

  const extraListeners = values['extra-listener'].map(parseExtraListener);

  const metricsPort = metricsPortFrom(values['metrics-port'], process.env);
  const logger = jsonLogger({ name: 'kafka-broker' }, level);
  const broker = await startBroker({
    port,
    host: values.host,
    advertisedHost: values['advertised-host'],
    dataDir: values['data-dir'],
    defaultPartitions: partitions,
    autoCreateTopics: !values['no-auto-create-topics'],
    fsync,
    saslUsersFile: values['sasl-users'],
    tls: tlsCert && tlsKey ? { certFile: tlsCert, keyFile: tlsKey } : undefined,
    extraListeners,
    logger,
  });
  if (metricsPort !== null) {
    const metrics = await startBrokerMetricsServer(broker.traffic, {
      port: metricsPort,
      host: values['metrics-host'] ?? values.host,
    });
    logger.info({ url: metrics.url }, 'metrics on GET /metrics');
  }
  // The JSON line above is for log collectors; this one is for people and scripts waiting on start-up.
  process.stderr.write(`kafka-broker listening on ${broker.address}\n`);

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    broker.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err: String(err) }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  process.stderr.write(`kafka-broker failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
