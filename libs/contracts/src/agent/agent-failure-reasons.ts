/**
 * The reasons an agent call failed, as API clients see them (validation check details, instance
 * failure reasons, the transcript). Fixed texts: a raw network error ("connect ECONNREFUSED
 * 10.0.3.17:7070", "getaddrinfo ENOTFOUND node-17.corp") names internal hosts and ports, so it goes to
 * the logs only (ADR 0072).
 */
export const AgentFailureReason = {
  UNREACHABLE: 'agent unreachable',
  TIMED_OUT: 'agent timed out',
  ADDRESS_NOT_ALLOWED: 'agent address not allowed',
  BAD_RESPONSE: 'agent answered with an unreadable body',
} as const;

const PROBLEM_CODE = /^[a-z0-9][a-z0-9-]{0,63}$/;

/**
 * An agent answered with an error status: `agent refused the request (HTTP 401)`, with the agent's
 * problem `code` when it is a plain token (`upgrade-failed`); the problem's free-text detail is left out.
 */
export function agentStatusReason(status: number, code: string | null = null): string {
  const token = code !== null && PROBLEM_CODE.test(code) ? ` ${code}` : '';
  return status >= 500
    ? `agent unavailable (HTTP ${status}${token})`
    : `agent refused the request (HTTP ${status}${token})`;
}
