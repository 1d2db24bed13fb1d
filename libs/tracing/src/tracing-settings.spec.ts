import { tracingSettingsFromEnv } from './tracing-settings';

describe('tracingSettingsFromEnv', () => {
  const cases: [string, NodeJS.ProcessEnv, boolean][] = [
    ['off with no OTEL_* variables', {}, false],
    ['on with an OTLP endpoint', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }, true],
    [
      'on with a traces-only endpoint',
      { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/v1/traces' },
      true,
    ],
    [
      'on with OTEL_TRACES_EXPORTER=otlp alone (the OTLP default endpoint)',
      { OTEL_TRACES_EXPORTER: 'otlp' },
      true,
    ],
    [
      'off with OTEL_TRACES_EXPORTER=none, even with an endpoint',
      { OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' },
      false,
    ],
    [
      'off with OTEL_SDK_DISABLED=true, even with an endpoint',
      { OTEL_SDK_DISABLED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' },
      false,
    ],
    [
      'on with OTEL_SDK_DISABLED=false',
      { OTEL_SDK_DISABLED: 'false', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' },
      true,
    ],
    [
      'on with the JSON protocol named',
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' },
      true,
    ],
  ];
  it.each(cases)('%s', (_name, env, enabled) => {
    expect(tracingSettingsFromEnv('upshift-test', env).enabled).toBe(enabled);
  });

  it('names the service by OTEL_SERVICE_NAME, else by the default the service passes', () => {
    expect(tracingSettingsFromEnv('upshift-worker', {}).serviceName).toBe('upshift-worker');
    expect(tracingSettingsFromEnv('upshift-worker', { OTEL_SERVICE_NAME: 'worker-eu' }).serviceName).toBe(
      'worker-eu',
    );
  });

  const refused: [string, NodeJS.ProcessEnv, RegExp][] = [
    ['an exporter it does not ship', { OTEL_TRACES_EXPORTER: 'zipkin' }, /zipkin is not supported/],
    [
      'a protocol other than http/json',
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4317', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' },
      /grpc is not supported/,
    ],
    ['an endpoint that is not a URL', { OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318 x' }, /is not a URL/],
  ];
  it.each(refused)('refuses %s at start-up', (_name, env, message) => {
    expect(() => tracingSettingsFromEnv('upshift-test', env)).toThrow(message);
  });
});
