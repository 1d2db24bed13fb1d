/**
 * Whether and where a service exports traces, read from the standard OpenTelemetry variables
 * (https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/). Tracing is off
 * unless an OTLP endpoint or `OTEL_TRACES_EXPORTER=otlp` asks for it (docs/adr/0091-opentelemetry-tracing.md):
 * with it off no SDK is started and every span call is the API's no-op.
 */
export interface TracingSettings {
  enabled: boolean;
  /** Why tracing is on or off, for the start-up log line. */
  reason: string;
  /** `service.name` of the resource: OTEL_SERVICE_NAME, else the service's own default. */
  serviceName: string;
}

/** The only exporter protocol this build ships (the OTLP/HTTP JSON exporter). */
const SUPPORTED_PROTOCOL = 'http/json';

function isHttpUrl(value: string): boolean {
  try {
    const { protocol } = new URL(value);
    return protocol === 'http:' || protocol === 'https:';
  } catch {
    return false;
  }
}

function truthy(value: string | undefined): boolean {
  return (value ?? '').trim().toLowerCase() === 'true';
}

/**
 * Reads the OTEL_* variables; throws (failing the service's start-up) on a value it cannot honour, so
 * that a misconfigured exporter is found at once rather than by an empty tracing backend.
 */
export function tracingSettingsFromEnv(
  defaultServiceName: string,
  env: NodeJS.ProcessEnv = process.env,
): TracingSettings {
  const serviceName = env['OTEL_SERVICE_NAME']?.trim() || defaultServiceName;
  const off = (reason: string): TracingSettings => ({ enabled: false, reason, serviceName });
  if (truthy(env['OTEL_SDK_DISABLED'])) return off('OTEL_SDK_DISABLED=true');

  const exporters = (env['OTEL_TRACES_EXPORTER'] ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name !== '');
  if (exporters.includes('none')) return off('OTEL_TRACES_EXPORTER=none');
  const unsupported = exporters.filter((name) => name !== 'otlp');
  if (unsupported.length > 0) {
    throw new Error(`OTEL_TRACES_EXPORTER: ${unsupported.join(', ')} is not supported; use otlp or none`);
  }
  const endpoint =
    env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT']?.trim() || env['OTEL_EXPORTER_OTLP_ENDPOINT']?.trim() || '';
  if (exporters.length === 0 && endpoint === '') {
    return off('no OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_TRACES_EXPORTER');
  }
  if (endpoint !== '' && !isHttpUrl(endpoint)) {
    throw new Error(`OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT: ${endpoint} is not a URL (http:// or https://)`);
  }
  const protocol = (
    env['OTEL_EXPORTER_OTLP_TRACES_PROTOCOL'] ??
    env['OTEL_EXPORTER_OTLP_PROTOCOL'] ??
    SUPPORTED_PROTOCOL
  )
    .trim()
    .toLowerCase();
  if (protocol !== SUPPORTED_PROTOCOL) {
    throw new Error(
      `OTEL_EXPORTER_OTLP_PROTOCOL: ${protocol} is not supported; Upshift exports OTLP over ${SUPPORTED_PROTOCOL}`,
    );
  }
  return {
    enabled: true,
    reason: `OTLP/HTTP JSON to ${endpoint || 'http://localhost:4318 (the OTLP default)'}`,
    serviceName,
  };
}
