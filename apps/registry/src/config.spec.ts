import { InvalidConfigError, kafkaBrokerList, loadRegistryConfig } from './config';

describe('registry configuration', () => {
  const secret = { AUTH_JWT_SECRET: 'a-secret-of-at-least-thirty-two-bytes!' };

  it('uses the local defaults for everything but the token secret', () => {
    const config = loadRegistryConfig(secret);
    expect(config).toMatchObject({
      PORT: 8085,
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/upshift',
      KAFKA_BROKERS: '127.0.0.1:9092',
      LOG_LEVEL: 'info',
      OUTBOX_RELAY_ENABLED: true,
    });
  });

  it('reads the environment, and overrides win over it', () => {
    const config = loadRegistryConfig(
      { ...secret, PORT: '9000', KAFKA_BROKERS: 'a:1,b:2', OUTBOX_RELAY_ENABLED: 'false' },
      { PORT: 0 },
    );
    expect(config.PORT).toBe(0);
    expect(config.OUTBOX_RELAY_ENABLED).toBe(false);
    expect(kafkaBrokerList(config)).toEqual(['a:1', 'b:2']);
  });

  it('refuses to start without a way to verify tokens, or with a short secret', () => {
    expect(() => loadRegistryConfig({})).toThrow(/AUTH_JWT_SECRET.*AUTH_JWKS_URL/);
    expect(() => loadRegistryConfig({ AUTH_JWT_SECRET: 'short' })).toThrow(
      /AUTH_JWT_SECRET must be at least 32/,
    );
    expect(() => loadRegistryConfig({ AUTH_JWKS_URL: 'not a url' })).toThrow(/AUTH_JWKS_URL must be an http/);
    const oidc = loadRegistryConfig({
      AUTH_JWKS_URL: 'https://id.example.com/certs',
      AUTH_ISSUER: 'https://id.example.com',
    });
    expect(oidc.AUTH_JWT_SECRET).toBe('');
    expect(oidc.AUTH_ISSUER).toBe('https://id.example.com');
  });

  it('never echoes a secret in its errors', () => {
    expect(() => loadRegistryConfig({ AUTH_JWT_SECRET: 'short-secret-value' })).not.toThrow(
      /short-secret-value/,
    );
  });

  it('refuses invalid values, naming every variable at once', () => {
    const attempt = () =>
      loadRegistryConfig({
        PORT: 'eighty',
        DATABASE_URL: 'mysql://x/y',
        KAFKA_BROKERS: 'nohost',
        LOG_LEVEL: 'loud',
      });
    expect(attempt).toThrow(InvalidConfigError);
    try {
      attempt();
    } catch (error) {
      const message = (error as Error).message;
      for (const name of ['PORT', 'DATABASE_URL', 'KAFKA_BROKERS', 'LOG_LEVEL'])
        expect(message).toContain(name);
    }
  });
});
