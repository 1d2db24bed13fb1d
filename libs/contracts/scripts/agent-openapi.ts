import * as path from 'path';
import type { TSchema } from '@sinclair/typebox';
import {
  AGENT_AUTH_HEADERS,
  AGENT_SIGNATURE_WINDOW_SECONDS,
  AgentBackupReplySchema,
  AgentCapacitySchema,
  AgentCommandIdSchema,
  AgentCommandRequestSchema,
  AgentFencingTokenSchema,
  AgentHealthCheckSchema,
  AgentHealthSchema,
  AgentProblemSchema,
  AgentRollbackRequestSchema,
  AgentStatusSchema,
  AgentUpgradeRequestSchema,
  AgentVersionReplySchema,
  PROBLEM_JSON,
} from '../src';
import type { AgentOperation } from '../src';

/**
 * Renders docs/agent-protocol.openapi.yaml: the paths, methods, status codes, signature headers and
 * descriptions below, composed with the TypeBox schemas of libs/contracts/src/agent/agent-protocol.ts.
 * The words of the protocol live in docs/agent-protocol.md; this file only says which body goes where.
 */

/** Relative to libs/contracts, like every other generated file. */
export const AGENT_OPENAPI_FILE = path.join('..', '..', 'docs', 'agent-protocol.openapi.yaml');

/** The component schemas, each under its `$id`; a nested schema with one of these ids becomes a `$ref`. */
const COMPONENT_SCHEMAS: TSchema[] = [
  AgentCommandIdSchema,
  AgentFencingTokenSchema,
  AgentCommandRequestSchema,
  AgentUpgradeRequestSchema,
  AgentRollbackRequestSchema,
  AgentVersionReplySchema,
  AgentBackupReplySchema,
  AgentCapacitySchema,
  AgentStatusSchema,
  AgentHealthCheckSchema,
  AgentHealthSchema,
  AgentProblemSchema,
];

const schemaRef = (schema: TSchema) => ({ $ref: `#/components/schemas/${String(schema.$id)}` });
const responseRef = (name: string) => ({ $ref: `#/components/responses/${name}` });

/** A 200 answer: a shared response, or a body with its own description. */
type Success = { response: string } | { description: string; schema: TSchema };

interface OperationDescription {
  method: 'get' | 'post';
  operationId: string;
  description?: string;
  /** The request body: the shared `Command` body, or a schema of its own. */
  request?: 'Command' | TSchema;
  success: Success;
  /** Statuses answered with problem details besides 401, which every operation may answer. */
  problems: number[];
}

const OPERATIONS: Record<AgentOperation, OperationDescription> = {
  status: {
    method: 'get',
    operationId: 'getStatus',
    success: { description: "The instance's state", schema: AgentStatusSchema },
    problems: [],
  },
  health: {
    method: 'get',
    operationId: 'getHealth',
    success: {
      description: 'The readiness verdict (200 whenever the agent answers; see `healthy`)',
      schema: AgentHealthSchema,
    },
    problems: [],
  },
  drain: {
    method: 'post',
    operationId: 'drain',
    request: 'Command',
    success: { response: 'Status' },
    problems: [400, 409, 503],
  },
  undrain: {
    method: 'post',
    operationId: 'undrain',
    request: 'Command',
    success: { response: 'Status' },
    problems: [400, 409, 503],
  },
  upgrade: {
    method: 'post',
    operationId: 'upgrade',
    description:
      'Requires a drained instance. Fetches the artifact, checks its SHA-256 and, when given, its ed25519 ' +
      'signature, keeps the running version as previousVersion, installs.',
    request: AgentUpgradeRequestSchema,
    success: {
      description: 'The target version runs (applied false when it already did)',
      schema: AgentVersionReplySchema,
    },
    problems: [400, 409, 422, 503],
  },
  rollback: {
    method: 'post',
    operationId: 'rollback',
    description:
      'Undoes the last upgrade attempt. A no-op success (rolledBack false) when that attempt applied ' +
      'nothing. With toVersion, refuses (422 rollback-target-unavailable) to end anywhere else.',
    request: AgentRollbackRequestSchema,
    success: {
      description: 'The previous version runs again (rolledBack false when nothing had been applied)',
      schema: AgentVersionReplySchema,
    },
    problems: [400, 409, 422, 503],
  },
  backup: {
    method: 'post',
    operationId: 'backup',
    request: 'Command',
    success: { description: 'Backup taken', schema: AgentBackupReplySchema },
    problems: [400, 409, 503],
  },
};

/** The four signature headers (ADR 0071) as OpenAPI security schemes, all required together. */
const SECURITY_SCHEMES: Record<keyof typeof AGENT_AUTH_HEADERS, { scheme: string; description: string }> = {
  keyId: {
    scheme: 'UpshiftKeyId',
    description: "The key id, which is the tenant id; the agent holds its tenant's key only.",
  },
  timestamp: {
    scheme: 'UpshiftTimestamp',
    description: `Unix time in seconds when the request was signed; refused when more than ${AGENT_SIGNATURE_WINDOW_SECONDS} s off.`,
  },
  nonce: {
    scheme: 'UpshiftNonce',
    description:
      '16 to 128 characters of [A-Za-z0-9_-], new for every request (a UUID); refused when seen again.',
  },
  signature: {
    scheme: 'UpshiftSignature',
    description:
      "`v1=` and the lower-case hex HMAC-SHA256, with the tenant's key, of the lines " +
      '`UPSHIFT-AGENT-HMAC-SHA256-V1`, method, path with query, key id, timestamp, nonce and the ' +
      'lower-case hex SHA-256 of the body (of nothing for a GET), joined by `\\n`.',
  },
};

/** `x-upshift-key-id` → `X-Upshift-Key-Id`, as docs/agent-protocol.md spells the headers. */
const headerName = (lowerCase: string) =>
  lowerCase
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('-');

/**
 * Plain JSON of a TypeBox schema for the document: no symbols; a nested schema that is a component
 * becomes a `$ref` to it, and other `$id`s are dropped (they would rebase nested references).
 */
function componentSchema(schema: TSchema): Record<string, unknown> {
  const ids = new Set(COMPONENT_SCHEMAS.map((s) => String(s.$id)));
  const convert = (value: unknown, root: boolean): unknown => {
    if (Array.isArray(value)) return value.map((item) => convert(item, false));
    if (value === null || typeof value !== 'object') return value;
    const record = value as Record<string, unknown>;
    const id = record['$id'];
    if (!root && typeof id === 'string' && ids.has(id)) return { $ref: `#/components/schemas/${id}` };
    return Object.fromEntries(
      Object.entries(record)
        .filter(([key]) => key !== '$id')
        .map(([key, inner]) => [key, convert(inner, false)]),
    );
  };
  return convert(JSON.parse(JSON.stringify(schema)), true) as Record<string, unknown>;
}

const jsonBody = (schema: TSchema) => ({ 'application/json': { schema: schemaRef(schema) } });

function renderOperation(operation: OperationDescription): Record<string, unknown> {
  const { request, success } = operation;
  const responses: Record<string, unknown> = {
    '200':
      'response' in success
        ? responseRef(success.response)
        : { description: success.description, content: jsonBody(success.schema) },
    '401': responseRef('Unauthenticated'),
  };
  for (const status of operation.problems) responses[String(status)] = responseRef('Problem');
  return {
    operationId: operation.operationId,
    ...(operation.description ? { description: operation.description } : {}),
    ...(request === undefined
      ? {}
      : {
          requestBody:
            request === 'Command'
              ? { $ref: '#/components/requestBodies/Command' }
              : { required: true, content: jsonBody(request) },
        }),
    responses,
  };
}

export function renderAgentOpenApi(): Record<string, unknown> {
  const paths = Object.fromEntries(
    (Object.entries(OPERATIONS) as [AgentOperation, OperationDescription][]).map(([name, operation]) => [
      `/agent/${name}`,
      { [operation.method]: renderOperation(operation) },
    ]),
  );
  const schemes = Object.entries(SECURITY_SCHEMES) as [
    keyof typeof AGENT_AUTH_HEADERS,
    { scheme: string; description: string },
  ][];
  return {
    openapi: '3.1.0',
    info: {
      title: 'Upshift agent protocol',
      version: '1.0.0',
      description:
        "What an instance's agent answers (docs/agent-protocol.md). Paths are relative to the instance's " +
        'agent URL. Every mutating call is idempotent by commandId: a repeated commandId gets the first ' +
        'answer and has no second effect. 503 means "not now, nothing happened, retry the same commandId"; ' +
        '4xx means the command fails for good. A fencingToken older than the newest the instance accepted ' +
        'answers 409 `stale-fencing-token` and has no effect (docs/agent-protocol.md, "Fencing").\n\n' +
        'Every request is signed (docs/agent-protocol.md, "Authentication"): HMAC-SHA256 with the ' +
        "instance's tenant key over method, path with query, the body's SHA-256, timestamp and nonce, in " +
        `the four X-Upshift-* headers. Unsigned, badly signed, stale (more than ${AGENT_SIGNATURE_WINDOW_SECONDS} s off) or replayed ` +
        'requests answer 401 `unauthenticated` and have no effect.\n\n' +
        'Generated from libs/contracts (TypeBox) by `npm run schemas:generate`; do not edit by hand.\n',
    },
    security: [Object.fromEntries(schemes.map(([, { scheme }]) => [scheme, []]))],
    servers: [
      {
        url: 'http://127.0.0.1:8090/i/sim-0001',
        description: 'one instance of the simulated fleet (apps/fleet-sim)',
      },
    ],
    paths,
    components: {
      securitySchemes: Object.fromEntries(
        schemes.map(([header, { scheme, description }]) => [
          scheme,
          { type: 'apiKey', in: 'header', name: headerName(AGENT_AUTH_HEADERS[header]), description },
        ]),
      ),
      requestBodies: {
        Command: { required: true, content: jsonBody(AgentCommandRequestSchema) },
      },
      responses: {
        Status: { description: "The instance's state after the call", content: jsonBody(AgentStatusSchema) },
        Unauthenticated: {
          description:
            'The request is unsigned, badly signed, stale or replayed (code `unauthenticated`); nothing happened',
          content: { [PROBLEM_JSON]: { schema: schemaRef(AgentProblemSchema) } },
        },
        Problem: {
          description: 'RFC 9457 problem details; `transient` true only for 503',
          content: { [PROBLEM_JSON]: { schema: schemaRef(AgentProblemSchema) } },
        },
      },
      schemas: Object.fromEntries(
        COMPONENT_SCHEMAS.map((schema) => [String(schema.$id), componentSchema(schema)]),
      ),
    },
  };
}
