import { ConfigModule } from '@nestjs/config';
import type { DynamicModule } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';

/** A service that cannot start with the environment it was given; every bad variable is listed. */
export class InvalidConfigError extends Error {
  constructor(
    readonly service: string,
    readonly problems: string[],
  ) {
    super(
      `The ${service}'s configuration is invalid: ${problems.join('; ')}. Fix these environment variables.`,
    );
    this.name = 'InvalidConfigError';
  }
}

export interface LoadServiceConfigOptions<T> {
  /** Variables without a default, which `new schema()` does not list. */
  optionalKeys?: readonly string[];
  /** Rules across variables, as messages naming them (empty when fine). */
  crossCheck?: (config: T) => string[];
}

/**
 * The one way both services read their configuration: the schema class names every variable (its
 * property initializers are the defaults, its class-validator decorators the rules); `env` is read for
 * those names only, `overrides` win (tests, launchers), an empty value counts as unset. Throws
 * InvalidConfigError listing every bad variable by name — never its value, which may be a password.
 */
export function loadServiceConfig<T extends object>(
  schema: new () => T,
  service: string,
  env: NodeJS.ProcessEnv,
  overrides: Partial<Record<keyof T, unknown>> = {},
  options: LoadServiceConfigOptions<T> = {},
): T {
  const keys = [...Object.keys(new schema()), ...(options.optionalKeys ?? [])];
  const raw: Record<string, unknown> = {};
  for (const key of keys) {
    const value = (overrides as Record<string, unknown>)[key] ?? env[key];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  const config = plainToInstance(schema, raw);
  const problems = validateSync(config, { forbidUnknownValues: true }).flatMap((error) =>
    Object.values(error.constraints ?? { invalid: 'is invalid' }).map(
      (message) => `${error.property}: ${message}`,
    ),
  );
  problems.push(...(options.crossCheck?.(config) ?? []));
  if (problems.length > 0) throw new InvalidConfigError(service, problems);
  return config;
}

/**
 * @nestjs/config's ConfigModule over an already validated configuration (ConfigService reads it), plus
 * the typed object under `token` for the service's own providers.
 */
export function serviceConfigModule<T extends object>(token: symbol, config: T): DynamicModule {
  const configModule = ConfigModule.forRoot({
    isGlobal: true,
    ignoreEnvFile: true,
    skipProcessEnv: true,
    validatePredefined: false,
    load: [() => ({ ...config })],
  });
  return {
    module: class ServiceConfigModule {},
    global: true,
    imports: [configModule],
    providers: [{ provide: token, useValue: config }],
    exports: [token, ConfigModule],
  };
}
