import { InvalidConfigError } from '@upshift/http';
import { loadConfig } from '../config';

const SECRET = 'x'.repeat(32);
const BASE = { AUTH_JWT_SECRET: SECRET, AGENT_AUTH_KEY: 'ab'.repeat(32) };

describe('METRICS_TOKEN in the orchestrator configuration (shared with the registry, ApiSecurityConfig)', () => {
  it('is empty by default: /metrics open', () => {
    expect(loadConfig({}, BASE).METRICS_TOKEN).toBe('');
  });

  it('takes a token of 16 characters or more', () => {
    const token = 'tok3n-for-the-scraper';
    expect(loadConfig({}, { ...BASE, METRICS_TOKEN: token }).METRICS_TOKEN).toBe(token);
  });

  it.each([
    ['too short', 'short-token', 'be at least 16 characters'],
    ['with a space', 'sixteen chars and more', 'not contain spaces'],
  ])('refuses a token %s at start-up, naming the variable and never the value', (_, token, message) => {
    let error: unknown;
    try {
      loadConfig({}, { ...BASE, METRICS_TOKEN: token });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidConfigError);
    expect((error as Error).message).toContain(`METRICS_TOKEN: METRICS_TOKEN must ${message}`);
    expect((error as Error).message).not.toContain(token);
  });
});
