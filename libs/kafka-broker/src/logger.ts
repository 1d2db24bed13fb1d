/** The slice of pino's API the broker logs through; a pino logger satisfies it as is. */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

const LEVELS = { debug: 20, info: 30, warn: 40, error: 50 } as const;
type Level = keyof typeof LEVELS;

/** pino-shaped JSON lines on stdout, for the CLI when no logger is handed in. */
export function jsonLogger(bindings: Record<string, unknown> = {}, minLevel: Level = 'info'): Logger {
  const line =
    (level: Level) =>
    (obj: object, msg?: string): void => {
      if (LEVELS[level] < LEVELS[minLevel]) return;
      const entry = { level: LEVELS[level], time: Date.now(), ...bindings, ...obj, msg };
      process.stdout.write(
        JSON.stringify(entry, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) + '\n',
      );
    };
  return { debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error') };
}
