import 'reflect-metadata';
import { loadWorkerConfig } from './config';

const AGENT_AUTH_KEY = 'a1'.repeat(32);

describe('worker configuration', () => {
  it('applies local defaults', () => {
    const config = loadWorkerConfig({ AGENT_AUTH_KEY });
    expect(config).toMatchObject({
      KAFKA_BROKERS: '127.0.0.1:9092',
      REDIS_URL: 'redis://127.0.0.1:6379',
      WORKER_CONCURRENCY: 64,
    });
    expect(config.WORKER_ID).toMatch(/^worker-/);
  });

  it('reads and converts the environment', () => {
    const config = loadWorkerConfig({
      AGENT_AUTH_KEY,
      WORKER_CONCURRENCY: '8',
      WORKER_ID: 'w1',
      KAFKA_BROKERS: 'a:1,b:2',
    });
    expect(config).toMatchObject({ WORKER_CONCURRENCY: 8, WORKER_ID: 'w1', KAFKA_BROKERS: 'a:1,b:2' });
  });

  it('refuses invalid values, naming the variable', () => {
    expect(() => loadWorkerConfig({ WORKER_CONCURRENCY: 'many' })).toThrow(/WORKER_CONCURRENCY/);
    expect(() => loadWorkerConfig({ KAFKA_BROKERS: 'localhost' })).toThrow(/KAFKA_BROKERS/);
    expect(() => loadWorkerConfig({ REDIS_URL: 'http://x' })).toThrow(/REDIS_URL/);
  });

  it('reads WORKER_HEALTH_PORT (8087 by default, 0 for any free port) and refuses a non-port', () => {
    expect(loadWorkerConfig({ AGENT_AUTH_KEY }).WORKER_HEALTH_PORT).toBe(8087);
    expect(loadWorkerConfig({ AGENT_AUTH_KEY, WORKER_HEALTH_PORT: '0' }).WORKER_HEALTH_PORT).toBe(0);
    expect(() => loadWorkerConfig({ AGENT_AUTH_KEY, WORKER_HEALTH_PORT: 'http' })).toThrow(
      /WORKER_HEALTH_PORT/,
    );
    expect(() => loadWorkerConfig({ AGENT_AUTH_KEY, WORKER_HEALTH_PORT: '70000' })).toThrow(
      /WORKER_HEALTH_PORT/,
    );
  });

  it('reads WORKER_REPORT_COALESCE_MS (250 by default, 0 for a report per step) and refuses a bad window', () => {
    expect(loadWorkerConfig({ AGENT_AUTH_KEY }).WORKER_REPORT_COALESCE_MS).toBe(250);
    expect(
      loadWorkerConfig({ AGENT_AUTH_KEY, WORKER_REPORT_COALESCE_MS: '0' }).WORKER_REPORT_COALESCE_MS,
    ).toBe(0);
    for (const bad of ['-1', 'soon', '60000'])
      expect(() => loadWorkerConfig({ AGENT_AUTH_KEY, WORKER_REPORT_COALESCE_MS: bad })).toThrow(
        /WORKER_REPORT_COALESCE_MS/,
      );
  });

  it('requires AGENT_AUTH_KEY of at least 32 hex bytes, without echoing it', () => {
    expect(() => loadWorkerConfig({})).toThrow(/AGENT_AUTH_KEY is required/);
    const short = 'b2'.repeat(16);
    expect(() => loadWorkerConfig({ AGENT_AUTH_KEY: short })).toThrow(
      /AGENT_AUTH_KEY must be at least 32 bytes/,
    );
    expect(() => loadWorkerConfig({ AGENT_AUTH_KEY: short })).not.toThrow(new RegExp(short));
  });

  it('defaults AGENT_URL_ALLOW to loopback and private ranges, and refuses a bad entry', () => {
    expect(loadWorkerConfig({ AGENT_AUTH_KEY }).AGENT_URL_ALLOW).toContain('10.0.0.0/8');
    expect(() => loadWorkerConfig({ AGENT_AUTH_KEY, AGENT_URL_ALLOW: '10.0.0.0/8,10.0.0.0/40' })).toThrow(
      /AGENT_URL_ALLOW: entry 2/,
    );
  });
});
