import { Agent, request as httpRequest, type IncomingMessage } from 'http';
import { Agent as HttpsAgent, request as httpsRequest } from 'https';
import {
  agentAddressLookup,
  AgentAddressNotAllowedError,
  AgentFailureReason,
  agentStatusReason,
  checkAgentUrl,
  signAgentRequest,
  type AgentBackupReply,
  type AgentCommandRequest,
  type AgentHealth,
  type AgentKeyring,
  type AgentOperation,
  type AgentRollbackRequest,
  type AgentStatus,
  type AgentUpgradeRequest,
  type AgentUrlPolicy,
  type AgentVersionReply,
} from '@upshift/contracts';
import { currentTraceCarrier, inSpan, SpanKind } from '@upshift/tracing';
import {
  AgentCallError,
  CallAbortedError,
  type AgentCall,
  type AgentDriver,
  type AgentTarget,
  type CallOptions,
} from './agent-driver';

export interface HttpAgentDriverOptions {
  /** Per-call timeout; a timeout is a transient error. */
  timeoutMs: number;
  /** Sockets kept per agent host (the fleet simulator serves many instances on one port). */
  maxSockets: number;
  /** Every tenant's agent key (derived from AGENT_AUTH_KEY); each request is signed with its tenant's. */
  keys: AgentKeyring;
  /** Which agent addresses may be called (AGENT_URL_ALLOW, ADR 0072). */
  urlPolicy: AgentUrlPolicy;
}

const MAX_RESPONSE_BYTES = 1024 * 1024;

/**
 * Speaks the agent protocol over HTTP/1.1 with pooled keep-alive connections. Every request is signed
 * (ADR 0071); every new connection goes only to an address the URL policy allows (ADR 0072): IP
 * literals are checked before the request, host names by the sockets' own lookup.
 */
export class HttpAgentDriver implements AgentDriver {
  private readonly http: Agent;
  private readonly https: HttpsAgent;

  constructor(private readonly options: HttpAgentDriverOptions) {
    const lookup = agentAddressLookup(options.urlPolicy);
    this.http = new Agent({ keepAlive: true, maxSockets: options.maxSockets, lookup });
    this.https = new HttpsAgent({ keepAlive: true, maxSockets: options.maxSockets, lookup });
  }

  status(target: AgentTarget, options?: CallOptions): Promise<AgentStatus> {
    return this.call<AgentStatus>('GET', target, 'status', undefined, options);
  }

  health(target: AgentTarget, options?: CallOptions): Promise<AgentHealth> {
    return this.call<AgentHealth>('GET', target, 'health', undefined, options);
  }

  drain(target: AgentTarget, call: AgentCall, options?: CallOptions): Promise<AgentStatus> {
    return this.call<AgentStatus>('POST', target, 'drain', commandBody(call), options);
  }

  undrain(target: AgentTarget, call: AgentCall, options?: CallOptions): Promise<AgentStatus> {
    return this.call<AgentStatus>('POST', target, 'undrain', commandBody(call), options);
  }

  upgrade(
    target: AgentTarget,
    instruction: AgentUpgradeRequest,
    options?: CallOptions,
  ): Promise<AgentVersionReply> {
    return this.call<AgentVersionReply>('POST', target, 'upgrade', instruction, options);
  }

  rollback(
    target: AgentTarget,
    call: AgentCall,
    toVersion: string,
    options?: CallOptions,
  ): Promise<AgentVersionReply> {
    const body: AgentRollbackRequest = { ...commandBody(call), toVersion };
    return this.call<AgentVersionReply>('POST', target, 'rollback', body, options);
  }

  backup(target: AgentTarget, call: AgentCall, options?: CallOptions): Promise<AgentBackupReply> {
    return this.call<AgentBackupReply>('POST', target, 'backup', commandBody(call), options);
  }

  close(): void {
    this.http.destroy();
    this.https.destroy();
  }

  /**
   * One CLIENT span per attempt, whose context goes to the agent as the W3C `traceparent` header
   * (docs/adr/0091-opentelemetry-tracing.md); with tracing off, the request alone.
   */
  private call<T>(
    method: 'GET' | 'POST',
    target: AgentTarget,
    operation: AgentOperation,
    body: unknown,
    options: CallOptions = {},
  ): Promise<T> {
    return inSpan(
      `agent ${operation}`,
      {
        kind: SpanKind.CLIENT,
        attributes: { 'http.request.method': method, 'upshift.agent.operation': operation },
      },
      () => this.send<T>(method, target, operation, body, options),
    );
  }

  private send<T>(
    method: 'GET' | 'POST',
    target: AgentTarget,
    operation: AgentOperation,
    body: unknown,
    options: CallOptions,
  ): Promise<T> {
    const what = `${method} ${operation}`;
    let url: URL;
    try {
      url = new URL(`${target.agentUrl.replace(/\/$/, '')}/agent/${operation}`);
    } catch {
      return Promise.reject(notAllowed(`${what}: agentUrl ${target.agentUrl} is not a URL`));
    }
    const verdict = checkAgentUrl(url, this.options.urlPolicy);
    if (verdict.kind === 'refused')
      return Promise.reject(notAllowed(`${what}: agentUrl ${target.agentUrl} is ${verdict.why}`));
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    let signature: Record<string, string>;
    try {
      // Signed per attempt: a retry is a new request with its own timestamp and nonce.
      signature = signAgentRequest(this.options.keys, target.tenantId, {
        method,
        pathAndQuery: `${url.pathname}${url.search}`,
        body: payload,
      });
    } catch (error) {
      return Promise.reject(error);
    }
    const isHttps = url.protocol === 'https:';
    return new Promise<T>((resolve, reject) => {
      if (options.signal?.aborted)
        return reject(new CallAbortedError(`${what} abandoned: the worker is stopping`));
      const req = (isHttps ? httpsRequest : httpRequest)(
        url,
        {
          method,
          agent: isHttps ? this.https : this.http,
          headers: {
            accept: 'application/json',
            ...currentTraceCarrier(),
            ...signature,
            ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}),
          },
        },
        (response) => {
          readBody(response).then(
            (text) => {
              try {
                resolve(interpret<T>(what, response.statusCode ?? 0, text));
              } catch (error) {
                reject(error);
              }
            },
            (error: unknown) => reject(transportError(what, error)),
          );
        },
      );
      const timer = setTimeout(() => {
        req.destroy(
          new AgentCallError(
            `${what}: no answer within ${this.options.timeoutMs} ms`,
            true,
            null,
            'timeout',
            AgentFailureReason.TIMED_OUT,
          ),
        );
      }, this.options.timeoutMs);
      const onAbort = () => req.destroy(new CallAbortedError(`${what} abandoned: the worker is stopping`));
      options.signal?.addEventListener('abort', onAbort, { once: true });
      req.on('close', () => {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
      });
      req.on('error', (error) => reject(transportError(what, error)));
      req.end(payload);
    });
  }
}

/** The body of a call without operation-specific fields; the token only when there is one. */
function commandBody(call: AgentCall): AgentCommandRequest {
  return call.fencingToken === undefined
    ? { commandId: call.commandId }
    : { commandId: call.commandId, fencingToken: call.fencingToken };
}

function readBody(response: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    response.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_RESPONSE_BYTES) response.destroy(new Error('response larger than 1 MiB'));
      else chunks.push(chunk);
    });
    response.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    response.on('error', reject);
    response.on('aborted', () => reject(new Error('response aborted')));
  });
}

function notAllowed(message: string): AgentCallError {
  return new AgentCallError(
    message,
    false,
    null,
    'address-not-allowed',
    AgentFailureReason.ADDRESS_NOT_ALLOWED,
  );
}

function transportError(what: string, error: unknown): Error {
  if (error instanceof AgentCallError || error instanceof CallAbortedError) return error;
  const message = error instanceof Error ? error.message : String(error);
  // The host resolved to a refused address: no connection was made, and none will be.
  if (error instanceof AgentAddressNotAllowedError) return notAllowed(`${what}: ${message}`);
  const code = (error as NodeJS.ErrnoException).code ?? null;
  // Refused, reset or hung-up connections mean the agent is down or restarting: retry later.
  return new AgentCallError(
    `${what}: ${message}`,
    true,
    null,
    code ?? 'network',
    AgentFailureReason.UNREACHABLE,
  );
}

function interpret<T>(what: string, status: number, text: string): T {
  let body: unknown = undefined;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    // Not JSON: described below by status.
  }
  if (status >= 200 && status < 300) {
    if (typeof body !== 'object' || body === null) {
      throw new AgentCallError(
        `${what}: answered ${status} without a JSON body`,
        false,
        status,
        'bad-response',
        AgentFailureReason.BAD_RESPONSE,
      );
    }
    return body as T;
  }
  const problem = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const code = typeof problem['code'] === 'string' ? problem['code'] : null;
  const detail = typeof problem['detail'] === 'string' ? problem['detail'] : text.slice(0, 200);
  // 5xx (except 501) and 429 are the agent saying "not now"; 4xx say "never like this".
  const transient = status === 429 || (status >= 500 && status !== 501);
  return throwError(
    new AgentCallError(
      `${what}: ${status}${code ? ` ${code}` : ''}: ${detail}`,
      transient,
      status,
      code,
      agentStatusReason(status, code),
    ),
  );
}

function throwError(error: Error): never {
  throw error;
}
