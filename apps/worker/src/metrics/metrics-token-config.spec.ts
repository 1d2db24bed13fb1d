import { loadWorkerConfig } from '../config';

const AGENT_AUTH_KEY = 'ab'.repeat(32);

describe('METRICS_TOKEN in the worker configuration', () => {
  it('is empty by default: /metrics on the probe port is open', () => {
    expect(loadWorkerConfig({ AGENT_AUTH_KEY }).METRICS_TOKEN).toBe('');
  });

  it('takes a token of 16 characters or more', () => {
    expect(loadWorkerConfig({ AGENT_AUTH_KEY, METRICS_TOKEN: 'tok3n-for-the-scraper' }).METRICS_TOKEN).toBe(
      'tok3n-for-the-scraper',
    );
  });

  it('refuses a short one at start-up, naming the variable', () => {
    expect(() => loadWorkerConfig({ AGENT_AUTH_KEY, METRICS_TOKEN: 'short' })).toThrow(
      'METRICS_TOKEN: METRICS_TOKEN must be at least 16 characters long when set',
    );
  });
});
