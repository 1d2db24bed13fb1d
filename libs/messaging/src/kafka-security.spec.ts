import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { describeKafkaSecurity, kafkaSecurityFromEnv, KafkaSecurityConfigError } from './kafka-security';

describe('kafkaSecurityFromEnv', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'upshift-kafka-security-'));
  const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
  const caFile = path.join(dir, 'ca.pem');
  writeFileSync(caFile, pem);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** The error thrown for `env`, checked to leave every value out of its message. */
  function refusal(env: NodeJS.ProcessEnv): string {
    let thrown: unknown;
    try {
      kafkaSecurityFromEnv(env);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(KafkaSecurityConfigError);
    const message = (thrown as Error).message;
    for (const value of Object.values(env))
      if (value && value.length > 3) expect(message).not.toContain(value);
    return message;
  }

  it('means PLAINTEXT when nothing is set', () => {
    expect(kafkaSecurityFromEnv({})).toEqual({});
    expect(kafkaSecurityFromEnv({ KAFKA_SASL_MECHANISM: '', KAFKA_SSL: '' })).toEqual({});
    expect(kafkaSecurityFromEnv({ KAFKA_SSL: 'false' })).toEqual({});
  });

  it.each(['plain', 'scram-sha-256', 'scram-sha-512', 'SCRAM-SHA-512'])('takes mechanism %s', (mechanism) => {
    const security = kafkaSecurityFromEnv({
      KAFKA_SASL_MECHANISM: mechanism,
      KAFKA_USERNAME: 'svc',
      KAFKA_PASSWORD: 'pw with spaces ',
    });
    expect(security).toEqual({
      sasl: { mechanism: mechanism.toLowerCase(), username: 'svc', password: 'pw with spaces ' },
    });
  });

  it('turns TLS on with the system CAs, or with KAFKA_CA_FILE', () => {
    expect(kafkaSecurityFromEnv({ KAFKA_SSL: 'true' })).toEqual({ ssl: { rejectUnauthorized: true } });
    expect(kafkaSecurityFromEnv({ KAFKA_SSL: 'TRUE', KAFKA_CA_FILE: caFile })).toEqual({
      ssl: { ca: [pem], rejectUnauthorized: true },
    });
  });

  it('refuses an unknown mechanism, naming the variable but not the value', () => {
    expect(refusal({ KAFKA_SASL_MECHANISM: 'gssapi-secret', KAFKA_USERNAME: 'u', KAFKA_PASSWORD: 'p' })).toBe(
      'KAFKA_SASL_MECHANISM must be one of plain, scram-sha-256, scram-sha-512',
    );
  });

  it('refuses a mechanism without a username or a password', () => {
    expect(refusal({ KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_PASSWORD: 'hunter2-secret' })).toBe(
      'KAFKA_SASL_MECHANISM needs KAFKA_USERNAME to be set',
    );
    expect(refusal({ KAFKA_SASL_MECHANISM: 'plain', KAFKA_USERNAME: 'svc-user' })).toBe(
      'KAFKA_SASL_MECHANISM needs KAFKA_PASSWORD to be set',
    );
    expect(refusal({ KAFKA_SASL_MECHANISM: 'plain' })).toBe(
      'KAFKA_SASL_MECHANISM needs KAFKA_USERNAME and KAFKA_PASSWORD to be set',
    );
  });

  it('refuses credentials without a mechanism', () => {
    expect(refusal({ KAFKA_USERNAME: 'svc-user', KAFKA_PASSWORD: 'hunter2-secret' })).toMatch(
      /^KAFKA_USERNAME and KAFKA_PASSWORD need KAFKA_SASL_MECHANISM/,
    );
  });

  it('refuses a KAFKA_SSL that is not a boolean', () => {
    expect(refusal({ KAFKA_SSL: 'maybe-not' })).toBe('KAFKA_SSL must be true or false');
  });

  it('refuses a CA file that is missing, unreadable, not PEM, or given without KAFKA_SSL=true', () => {
    const missing = path.join(dir, 'no-such-ca.pem');
    expect(refusal({ KAFKA_SSL: 'true', KAFKA_CA_FILE: missing })).toBe(
      'KAFKA_CA_FILE cannot be read (ENOENT)',
    );
    expect(refusal({ KAFKA_SSL: 'true', KAFKA_CA_FILE: dir })).toBe('KAFKA_CA_FILE cannot be read (EISDIR)');
    const notPem = path.join(dir, 'not-a-cert.txt');
    writeFileSync(notPem, 'hello');
    expect(refusal({ KAFKA_SSL: 'true', KAFKA_CA_FILE: notPem })).toBe(
      'KAFKA_CA_FILE holds no PEM certificate',
    );
    expect(refusal({ KAFKA_CA_FILE: caFile })).toBe('KAFKA_CA_FILE is set but KAFKA_SSL is not true');
    expect(refusal({ KAFKA_SSL: 'false', KAFKA_CA_FILE: caFile })).toBe(
      'KAFKA_CA_FILE is set but KAFKA_SSL is not true',
    );
  });

  it('describes the security for logs without the user or the password', () => {
    const security = kafkaSecurityFromEnv({
      KAFKA_SASL_MECHANISM: 'scram-sha-256',
      KAFKA_USERNAME: 'svc-user',
      KAFKA_PASSWORD: 'hunter2-secret',
      KAFKA_SSL: 'true',
    });
    expect(describeKafkaSecurity(security)).toEqual({ sasl: 'scram-sha-256', tls: true });
    expect(JSON.stringify(describeKafkaSecurity(security))).not.toMatch(/svc-user|hunter2/);
  });
});
