import 'reflect-metadata';
import { loadWorkerConfig } from './config';

describe('worker configuration', () => {
  it('applies local defaults', () => {
    const config = loadWorkerConfig({});
    expect(config).toMatchObject({
      KAFKA_BROKERS: '127.0.0.1:9092',
      REDIS_URL: 'redis://127.0.0.1:6379',
      WORKER_CONCURRENCY: 64,
    });
    expect(config.WORKER_ID).toMatch(/^worker-/);
  });

  it('reads and converts the environment', () => {
    const config = loadWorkerConfig({ WORKER_CONCURRENCY: '8', WORKER_ID: 'w1', KAFKA_BROKERS: 'a:1,b:2' });
    expect(config).toMatchObject({ WORKER_CONCURRENCY: 8, WORKER_ID: 'w1', KAFKA_BROKERS: 'a:1,b:2' });
  });

  it('refuses invalid values, naming the variable', () => {
    expect(() => loadWorkerConfig({ WORKER_CONCURRENCY: 'many' })).toThrow(/WORKER_CONCURRENCY/);
    expect(() => loadWorkerConfig({ KAFKA_BROKERS: 'localhost' })).toThrow(/KAFKA_BROKERS/);
    expect(() => loadWorkerConfig({ REDIS_URL: 'http://x' })).toThrow(/REDIS_URL/);
  });
});
