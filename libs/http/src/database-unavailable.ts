/**
 * Errors that say the database cannot be reached right now, rather than that a request or the code is
 * wrong: the pool gave up waiting for a connection, the server refused or dropped it, or it is starting
 * or shutting down. A client may retry those, so they answer 503 with Retry-After instead of a 500.
 */
const UNAVAILABLE_SQLSTATES = new Set([
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '53300', // too_many_connections
  '08000', // connection_exception
  '08001', // sqlclient_unable_to_establish_sqlconnection
  '08003', // connection_does_not_exist
  '08006', // connection_failure
]);
const UNAVAILABLE_NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE']);
const UNAVAILABLE_MESSAGES = [
  // pg-pool, when no connection frees up within connectionTimeoutMillis.
  'timeout exceeded when trying to connect',
  // pg, when the server closes the connection under a query.
  'Connection terminated',
];

export function isDatabaseUnavailable(error: unknown): boolean {
  for (let cause: unknown = error, depth = 0; cause instanceof Error && depth < 3; depth += 1) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string' && (UNAVAILABLE_SQLSTATES.has(code) || UNAVAILABLE_NETWORK_CODES.has(code)))
      return true;
    if (UNAVAILABLE_MESSAGES.some((text) => cause instanceof Error && cause.message.includes(text)))
      return true;
    // TypeORM wraps the driver's error as `driverError`; others use `cause`.
    cause = (cause as { driverError?: unknown }).driverError ?? (cause as { cause?: unknown }).cause;
  }
  return false;
}
