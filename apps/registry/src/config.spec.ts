import { InvalidConfigError, kafkaBrokerList, loadRegistryConfig } from './config';

describe('registry configuration', () => {
  it('uses the local defaults when nothing is set', () => {
    const config = loadRegistryConfig({});
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
      { PORT: '9000', KAFKA_BROKERS: 'a:1,b:2', OUTBOX_RELAY_ENABLED: 'false' },
      { PORT: 0 },
    );
    expect(config.PORT).toBe(0);
    expect(config.OUTBOX_RELAY_ENABLED).toBe(false);
    expect(kafkaBrokerList(config)).toEqual(['a:1', 'b:2']);
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
