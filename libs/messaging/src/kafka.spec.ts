import { logLevel } from 'kafkajs';
import pino from 'pino';
import { Writable } from 'stream';
import { kafkaBrokersFromEnv, parseBrokers, pinoLogCreator } from './kafka';

describe('Kafka configuration', () => {
  it('reads KAFKA_BROKERS as a comma-separated list, defaulting to the local broker', () => {
    expect(kafkaBrokersFromEnv({})).toEqual(['127.0.0.1:9092']);
    expect(kafkaBrokersFromEnv({ KAFKA_BROKERS: ' a:9092, b:9093 ,' })).toEqual(['a:9092', 'b:9093']);
  });

  it('refuses an empty broker list with what to set', () => {
    expect(() => parseBrokers(' , ')).toThrow(/KAFKA_BROKERS is empty/);
  });

  it('bridges kafkajs log entries into structured pino lines', () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        done();
      },
    });
    const log = pinoLogCreator(pino({ level: 'debug' }, sink))();
    log({
      namespace: 'Connection',
      level: logLevel.ERROR,
      label: 'ERROR',
      log: { message: 'Connection timeout', timestamp: 'x', logger: 'kafkajs', broker: 'b:9092' },
    });
    expect(lines).toEqual([
      expect.objectContaining({
        level: 50,
        msg: 'Connection timeout',
        component: 'kafkajs',
        namespace: 'Connection',
        broker: 'b:9092',
      }),
    ]);
    expect(lines[0]).not.toHaveProperty('timestamp');
  });
});
