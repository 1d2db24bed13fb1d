import { Agent, request as httpRequest, type IncomingMessage } from 'http';
import { Agent as HttpsAgent, request as httpsRequest } from 'https';
import {
  AgentCallError,
  CallAbortedError,
  type AgentDriver,
  type AgentHealth,
  type AgentStatus,
  type CallOptions,
  type UpgradeInstruction,
  type VersionReply,
} from './agent-driver';

export interface HttpAgentDriverOptions {
  /** Per-call timeout; a timeout is a transient error. */
  timeoutMs: number;
  /** Sockets kept per agent host (the fleet simulator serves many instances on one port). */
  maxSockets: number;
}

const MAX_RESPONSE_BYTES = 1024 * 1024;

/** Speaks the agent protocol over HTTP/1.1 with pooled keep-alive connections. */
export class HttpAgentDriver implements AgentDriver {
  private readonly http: Agent;
  private readonly https: HttpsAgent;

  constructor(private readonly options: HttpAgentDriverOptions) {
    this.http = new Agent({ keepAlive: true, maxSockets: options.maxSockets });
    this.https = new HttpsAgent({ keepAlive: true, maxSockets: options.maxSockets });
  }

  status(agentUrl: string, options?: CallOptions): Promise<AgentStatus> {
    return this.call<AgentStatus>('GET', agentUrl, 'status', undefined, options);
  }

  health(agentUrl: string, options?: CallOptions): Promise<AgentHealth> {
    return this.call<AgentHealth>('GET', agentUrl, 'health', undefined, options);
  }

  drain(agentUrl: string, commandId: string, options?: CallOptions): Promise<AgentStatus> {
    return this.call<AgentStatus>('POST', agentUrl, 'drain', { commandId }, options);
  }

  undrain(agentUrl: string, commandId: string, options?: CallOptions): Promise<AgentStatus> {
    return this.call<AgentStatus>('POST', agentUrl, 'undrain', { commandId }, options);
  }

  upgrade(agentUrl: string, instruction: UpgradeInstruction, options?: CallOptions): Promise<VersionReply> {
    return this.call<VersionReply>('POST', agentUrl, 'upgrade', instruction, options);
  }

  rollback(
    agentUrl: string,
    commandId: string,
    toVersion: string,
    options?: CallOptions,
  ): Promise<VersionReply> {
    return this.call<VersionReply>('POST', agentUrl, 'rollback', { commandId, toVersion }, options);
  }

  backup(agentUrl: string, commandId: string, options?: CallOptions): Promise<{ lastBackupAt: string }> {
    return this.call<{ lastBackupAt: string }>('POST', agentUrl, 'backup', { commandId }, options);
  }

  close(): void {
    this.http.destroy();
    this.https.destroy();
  }

  private call<T>(
    method: 'GET' | 'POST',
    agentUrl: string,
    operation: string,
    body: unknown,
    options: CallOptions = {},
  ): Promise<T> {
    const what = `${method} ${operation}`;
    let url: URL;
    try {
      url = new URL(`${agentUrl.replace(/\/$/, '')}/agent/${operation}`);
    } catch {
      return Promise.reject(
        new AgentCallError(`${what}: agentUrl ${agentUrl} is not a URL`, false, null, 'bad-agent-url'),
      );
    }
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
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
          new AgentCallError(`${what}: no answer within ${this.options.timeoutMs} ms`, true, null, 'timeout'),
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

function transportError(what: string, error: unknown): Error {
  if (error instanceof AgentCallError || error instanceof CallAbortedError) return error;
  const code = (error as NodeJS.ErrnoException).code ?? null;
  const message = error instanceof Error ? error.message : String(error);
  // Refused, reset or hung-up connections mean the agent is down or restarting: retry later.
  return new AgentCallError(`${what}: ${message}`, true, null, code ?? 'network');
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
    new AgentCallError(`${what}: ${status}${code ? ` ${code}` : ''}: ${detail}`, transient, status, code),
  );
}

function throwError(error: Error): never {
  throw error;
}
