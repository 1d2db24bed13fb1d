import type { RedisOptions } from 'ioredis';

/** How long one Redis command of the orchestrator's own clients may take before it fails (ADR 0079). */
export const REDIS_COMMAND_TIMEOUT_MS = 5_000;

/**
 * Options for the orchestrator's non-blocking Redis client (the timer queue's producer side, readiness).
 * ioredis queues commands without limit while the connection is down: a long Redis outage would grow
 * that queue for every committed transaction and hang every caller. Here a command fails at once while
 * disconnected, a command in flight when the connection drops is retried once, and an unanswered one
 * fails after REDIS_COMMAND_TIMEOUT_MS (so does a connection attempt). What fails is re-armed from Postgres by the recovery sweep.
 * (BullMQ's Worker needs `maxRetriesPerRequest: null` on its blocking connection: not for that one.)
 */
export function failFastRedisOptions(): RedisOptions {
  return {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
    connectTimeout: REDIS_COMMAND_TIMEOUT_MS,
    // A forced disconnect (shutdown, an outage) destroys a socket that does not close at once, instead of
    // keeping the process alive for ioredis's default 2 s.
    disconnectTimeout: 200,
  };
}
