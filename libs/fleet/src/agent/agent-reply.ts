import type {
  AgentBackupReply,
  AgentHealth,
  AgentProblem,
  AgentProblemCode,
  AgentStatus,
  AgentVersionReply,
} from '@upshift/contracts';

/** The bodies of the agent protocol's successful answers (docs/agent-protocol.md). */
export type AgentReplyBody = AgentStatus | AgentHealth | AgentVersionReply | AgentBackupReply;

/**
 * What an agent operation answers: an HTTP status and a JSON body. Errors use RFC 9457 problem
 * details with a `code` and a `transient` flag; 503 is the only transient status (the caller may
 * retry the same commandId), every 4xx is permanent for that command.
 */
export interface AgentReply {
  status: number;
  body: AgentReplyBody | AgentProblem;
}

export function ok(body: AgentReplyBody): AgentReply {
  return { status: 200, body };
}

export function problem(status: number, code: AgentProblemCode, title: string, detail: string): AgentReply {
  const body: AgentProblem = {
    type: `urn:upshift:agent:problem:${code}`,
    title,
    status,
    detail,
    code,
    transient: status === 503,
  };
  return { status, body };
}

export function isTransient(reply: AgentReply): boolean {
  return reply.status === 503;
}
