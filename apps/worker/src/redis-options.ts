import type { RedisOptions } from 'ioredis';

/** How long one lease or result-cache call may take before it fails (ADR 0079). */
export const WORKER_REDIS_COMMAND_TIMEOUT_MS = 3_000;

/**
 * Options for the worker's Redis client. By default ioredis queues commands without limit while the
 * connection is down, so a long Redis outage grew memory and hung every lease renewal. Here a command
 * fails at once while disconnected, a command in flight when the connection drops is retried once, and
 * an unanswered one fails after WORKER_REDIS_COMMAND_TIMEOUT_MS: callers wait Redis out with their own
 * back-off (the consumer's infra retry), and a lease that cannot be renewed is given up in time.
 */
export function workerRedisOptions(): RedisOptions {
  return {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: WORKER_REDIS_COMMAND_TIMEOUT_MS,
    connectTimeout: WORKER_REDIS_COMMAND_TIMEOUT_MS,
    // A forced disconnect (shutdown, an outage) destroys a socket that does not close at once, instead of
    // keeping the process alive for ioredis's default 2 s.
    disconnectTimeout: 200,
  };
}
