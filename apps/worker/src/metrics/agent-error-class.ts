import { AgentFailureReason } from '@upshift/contracts';
import { AgentCallError, CallAbortedError } from '../agent/agent-driver';

/**
 * The `error` label of a failed agent call: a fixed few classes, never the message (it names hosts and
 * ports, ADR 0072) nor the agent's own problem code (any agent may send any).
 */
export function agentErrorClass(error: unknown): string {
  if (error instanceof CallAbortedError) return 'aborted';
  if (!(error instanceof AgentCallError)) return 'other';
  switch (error.reason) {
    case AgentFailureReason.TIMED_OUT:
      return 'timeout';
    case AgentFailureReason.UNREACHABLE:
      return 'unreachable';
    case AgentFailureReason.ADDRESS_NOT_ALLOWED:
      return 'address_not_allowed';
    case AgentFailureReason.BAD_RESPONSE:
      return 'bad_response';
    default:
      // The agent answered with an error status (agentStatusReason): 429 and 5xx say "not now".
      if (error.status === null) return 'other';
      return error.status >= 500 || error.status === 429 ? 'http_5xx' : 'http_4xx';
  }
}
