import { readFileSync } from 'fs';
import type { SASLOptions } from 'kafkajs';
import type { ConnectionOptions } from 'tls';

export const KAFKA_SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;
export type KafkaSaslMechanism = (typeof KAFKA_SASL_MECHANISMS)[number];

/** kafkajs' `sasl` and `ssl` options; both absent means PLAINTEXT. */
export interface KafkaSecurity {
  sasl?: SASLOptions;
  ssl?: ConnectionOptions;
}

/** A KAFKA_* security variable is wrong. The message names the variable, never its value. */
export class KafkaSecurityConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KafkaSecurityConfigError';
  }
}

const set = (value: string | undefined): value is string => value !== undefined && value !== '';

function parseSsl(value: string | undefined): boolean | undefined {
  if (!set(value)) return undefined;
  const text = value.trim().toLowerCase();
  if (text === 'true' || text === '1') return true;
  if (text === 'false' || text === '0') return false;
  throw new KafkaSecurityConfigError('KAFKA_SSL must be true or false');
}

function readCaFile(file: string): string {
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'an error';
    throw new KafkaSecurityConfigError(`KAFKA_CA_FILE cannot be read (${code})`);
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----'))
    throw new KafkaSecurityConfigError('KAFKA_CA_FILE holds no PEM certificate');
  return pem;
}

/**
 * The one place Kafka client security is read from the environment (every service calls it where it
 * builds its kafkajs client, so a mistake stops start-up):
 *
 * - `KAFKA_SASL_MECHANISM`: `plain`, `scram-sha-256` or `scram-sha-512` (any case); unset for none.
 *   Needs `KAFKA_USERNAME` and `KAFKA_PASSWORD`, which are refused without it.
 * - `KAFKA_SSL`: `true` for TLS, verified against the system CAs, or against `KAFKA_CA_FILE` (a PEM
 *   bundle) when set; the CA file is refused unless `KAFKA_SSL` is true.
 *
 * SASL with TLS is Kafka's SASL_SSL; SASL alone (SASL_PLAINTEXT) sends PLAIN passwords in clear.
 * Errors name the variable and never echo a value: the password, and paths, stay out of logs.
 */
export function kafkaSecurityFromEnv(env: NodeJS.ProcessEnv = process.env): KafkaSecurity {
  const security: KafkaSecurity = {};
  const mechanism = env['KAFKA_SASL_MECHANISM'];
  const username = env['KAFKA_USERNAME'];
  const password = env['KAFKA_PASSWORD'];
  if (set(mechanism)) {
    const normalized = mechanism.trim().toLowerCase() as KafkaSaslMechanism;
    if (!KAFKA_SASL_MECHANISMS.includes(normalized))
      throw new KafkaSecurityConfigError(
        `KAFKA_SASL_MECHANISM must be one of ${KAFKA_SASL_MECHANISMS.join(', ')}`,
      );
    const missing = [!set(username) && 'KAFKA_USERNAME', !set(password) && 'KAFKA_PASSWORD'].filter(Boolean);
    if (missing.length > 0)
      throw new KafkaSecurityConfigError(`KAFKA_SASL_MECHANISM needs ${missing.join(' and ')} to be set`);
    security.sasl = { mechanism: normalized, username: username as string, password: password as string };
  } else if (set(username) || set(password)) {
    throw new KafkaSecurityConfigError(
      'KAFKA_USERNAME and KAFKA_PASSWORD need KAFKA_SASL_MECHANISM (plain, scram-sha-256 or scram-sha-512)',
    );
  }

  const ssl = parseSsl(env['KAFKA_SSL']);
  const caFile = env['KAFKA_CA_FILE'];
  if (set(caFile) && ssl !== true)
    throw new KafkaSecurityConfigError('KAFKA_CA_FILE is set but KAFKA_SSL is not true');
  if (ssl === true)
    security.ssl = set(caFile)
      ? { ca: [readCaFile(caFile)], rejectUnauthorized: true }
      : { rejectUnauthorized: true };
  return security;
}

/** What a start-up log line may say about the security in use (no user names, no secrets). */
export function describeKafkaSecurity(security: KafkaSecurity): { sasl: string; tls: boolean } {
  return { sasl: security.sasl?.mechanism ?? 'none', tls: security.ssl !== undefined };
}
