import { AgentFailureReason } from '@upshift/contracts';
import { AgentCallError, CallAbortedError } from '../agent/agent-driver';
import { agentErrorClass } from './agent-error-class';

const callError = (status: number | null, reason: string) =>
  new AgentCallError(
    'POST upgrade: http://10.0.0.7:8090 …',
    status === null || status >= 500,
    status,
    null,
    reason,
  );

describe('agentErrorClass', () => {
  it.each([
    ['a timeout', callError(null, AgentFailureReason.TIMED_OUT), 'timeout'],
    ['a refused connection', callError(null, AgentFailureReason.UNREACHABLE), 'unreachable'],
    [
      'an address outside AGENT_URL_ALLOW',
      callError(null, AgentFailureReason.ADDRESS_NOT_ALLOWED),
      'address_not_allowed',
    ],
    ['a 2xx without JSON', callError(200, AgentFailureReason.BAD_RESPONSE), 'bad_response'],
    ['a 503', callError(503, 'agent unavailable (HTTP 503)'), 'http_5xx'],
    ['a 429', callError(429, 'agent refused the request (HTTP 429)'), 'http_5xx'],
    [
      'a 409 stale fencing token',
      callError(409, 'agent refused the request (HTTP 409 stale-fencing-token)'),
      'http_4xx',
    ],
    ['a call abandoned on shutdown', new CallAbortedError('abandoned'), 'aborted'],
    ['anything else', new Error('surprise'), 'other'],
  ])('%s → %s', (_, error, expected) => {
    expect(agentErrorClass(error)).toBe(expected);
  });
});
