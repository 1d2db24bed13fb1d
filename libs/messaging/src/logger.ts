import pino from 'pino';
import type { Logger } from 'pino';

export type { Logger };

/** The logger a helper uses when its caller gives none: JSON on stdout, level from LOG_LEVEL. */
export function defaultLogger(name: string): Logger {
  return pino({ name, level: process.env['LOG_LEVEL'] ?? 'info' });
}
