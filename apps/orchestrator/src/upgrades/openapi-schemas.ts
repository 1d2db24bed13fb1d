import type { OpenAPIObject } from '@nestjs/swagger';
import type { ContentObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { ApiResponse } from '@nestjs/swagger';
import { applyDecorators } from '@nestjs/common';
import {
  ExecutionStatisticsSchema,
  ExecutionStatus,
  PROBLEM_JSON,
  ProblemDetailsSchema,
  UpgradeExecutionViewSchema,
  UpgradeInstanceViewSchema,
} from '@upshift/contracts';
import { ALL_EXECUTION_OPERATIONS } from '@upshift/domain';
import { ProblemType } from '@upshift/http';

/**
 * The response shapes of the OpenAPI document come from the TypeBox contracts (the one source of truth
 * the JSON Schemas are generated from), not from a second set of Swagger classes.
 */
type SchemaName =
  | 'UpgradeExecutionView'
  | 'ExecutionStatistics'
  | 'ProblemDetails'
  | 'UpgradePage'
  | 'Transcript'
  | 'InstancePage';

/** A plain JSON copy without `$id`s: inside an OpenAPI document the components name the schemas. */
function plain(schema: unknown): Record<string, unknown> {
  return JSON.parse(JSON.stringify(schema), (key, value: unknown) =>
    key === '$id' ? undefined : value,
  ) as Record<string, unknown>;
}

export function schemaRef(name: SchemaName): { $ref: string } {
  return { $ref: `#/components/schemas/${name}` };
}

const issue = {
  type: 'object',
  required: ['code', 'message'],
  properties: { code: { type: 'string' }, message: { type: 'string' } },
};

/**
 * The orchestrator's problem+json, with every extension member one of its answers carries: clients
 * switch on `type` and act on these members, never on the wording of `title` or `detail`.
 */
function problemDetails(): Record<string, unknown> {
  const base = plain(ProblemDetailsSchema) as { properties: Record<string, unknown>; description?: string };
  return {
    ...base,
    description:
      'RFC 9457 problem details, served as application/problem+json. The members after `errors` appear ' +
      'only on the answers named in their descriptions.',
    properties: {
      ...base.properties,
      type: {
        type: 'string',
        enum: Object.values(ProblemType),
        description: 'Stable URN naming the problem (docs/api-contract.md lists their meanings)',
      },
      errors: {
        ...(base.properties['errors'] as Record<string, unknown>),
        description: '400: one entry per invalid field, named by its dotted path',
      },
      blockers: {
        type: 'array',
        items: issue,
        description: "422: why the registry refuses the path, or which version is not the component's",
      },
      warnings: { type: 'array', items: issue, description: '422 with blockers: what the registry warns of' },
      availableInstances: {
        type: 'integer',
        minimum: 0,
        description: '422: instances of the component on the from-version (fewer than asked)',
      },
      requestedInstances: { type: 'integer', minimum: 1, description: '422: the totalInstances asked for' },
      currentStatus: {
        type: 'string',
        enum: Object.values(ExecutionStatus),
        description: "409: the execution's status now",
      },
      allowedOperations: {
        type: 'array',
        items: { type: 'string', enum: [...ALL_EXECUTION_OPERATIONS] },
        description: '409: the operations allowed in currentStatus (empty while VALIDATING or ROLLING_BACK)',
      },
      operation: {
        type: 'string',
        enum: [...ALL_EXECUTION_OPERATIONS],
        description: '409 (invalid-status-transition): the refused operation',
      },
      activeExecutionId: {
        type: 'string',
        format: 'uuid',
        description:
          '409 (active-execution-exists): the execution already active for the tenant and component',
      },
      requiredRole: {
        type: 'string',
        enum: ['viewer', 'operator', 'admin'],
        description: "403: the role the operation needs (the token's roles are in detail)",
      },
    },
  };
}

function executionStatistics(): Record<string, unknown> {
  const base = plain(ExecutionStatisticsSchema) as { properties: Record<string, Record<string, unknown>> };
  base.properties['successRate'] = {
    ...base.properties['successRate'],
    description:
      'COMPLETED / (COMPLETED + FAILED + ROLLED_BACK) × 100: the share of finished executions that ' +
      'succeeded; cancelled and active executions are left out; 0 when none has finished',
  };
  return base;
}

const COMPONENT_SCHEMAS: Record<SchemaName, Record<string, unknown>> = {
  UpgradeExecutionView: plain(UpgradeExecutionViewSchema),
  ExecutionStatistics: executionStatistics(),
  ProblemDetails: problemDetails(),
  UpgradePage: {
    type: 'object',
    required: ['content', 'page', 'size', 'totalElements', 'totalPages'],
    properties: {
      content: { type: 'array', items: schemaRef('UpgradeExecutionView') },
      page: { type: 'integer', minimum: 0, description: 'Zero-based page number' },
      size: { type: 'integer', minimum: 1 },
      totalElements: { type: 'integer', minimum: 0 },
      totalPages: { type: 'integer', minimum: 0 },
    },
  },
  Transcript: {
    type: 'object',
    required: ['executionId', 'lines', 'next'],
    properties: {
      executionId: { type: 'string', format: 'uuid' },
      lines: {
        type: 'array',
        description: 'At most `limit` lines, oldest first',
        items: {
          type: 'object',
          required: ['id', 'at', 'line'],
          properties: {
            id: {
              type: 'string',
              pattern: '^[0-9]+$',
              description: 'The line id (grows with each line); pass it as `after` to read what follows',
            },
            at: { type: 'string', format: 'date-time' },
            line: { type: 'string' },
          },
        },
      },
      next: {
        anyOf: [{ type: 'string', pattern: '^[0-9]+$' }, { type: 'null' }],
        description: '`after` for the next page; null when this page ends at the last line written so far',
      },
    },
  },
  InstancePage: {
    type: 'object',
    required: ['executionId', 'instances', 'next'],
    properties: {
      executionId: { type: 'string', format: 'uuid' },
      instances: {
        type: 'array',
        description: 'At most `limit` instances, in the order batches take them',
        items: plain(UpgradeInstanceViewSchema),
      },
      next: {
        anyOf: [{ type: 'string', pattern: '^[0-9]+$' }, { type: 'null' }],
        description: '`cursor` for the next page; null when this page holds the last matching instance',
      },
    },
  },
};

/** Adds the contract schemas to a generated document, so the controller's `$ref`s resolve. */
export function withContractSchemas(document: OpenAPIObject): OpenAPIObject {
  document.components = {
    ...document.components,
    schemas: { ...document.components?.schemas, ...COMPONENT_SCHEMAS },
  };
  return document;
}

/** What each problem status means on the orchestrator's paths, and which members it carries. */
export const PROBLEM_STATUSES: Record<number, string> = {
  400: 'Malformed input; `errors` names each field',
  401: 'No bearer token, or one that does not verify (expired, wrong issuer or audience)',
  403: 'The token lacks the role the operation needs; `requiredRole` names it',
  404: 'No such execution, component or tenant (another tenant’s data answers as if it did not exist)',
  409:
    'Not allowed now: `currentStatus` and `allowedOperations` say what is (with `operation`, the refused one), ' +
    'or another execution is active (`activeExecutionId`)',
  415: 'The body is not JSON: send it with Content-Type: application/json',
  422:
    'The registry refuses the path (`blockers`, `warnings`), or fewer instances are on the from-version ' +
    'than asked (`availableInstances`, `requestedInstances`)',
  503: 'The registry did not answer; nothing was written, retry later',
};

/** A problem response: always `application/problem+json` with the ProblemDetails schema. */
export function problemResponse(status: number): { description: string; content: ContentObject } {
  return {
    description: PROBLEM_STATUSES[status] ?? 'Problem',
    content: { [PROBLEM_JSON]: { schema: schemaRef('ProblemDetails') } },
  };
}

/** The success response and the problem responses an endpoint can give. */
export function ApiAnswers(
  success: { status: number; schema: SchemaName; description: string },
  problems: number[],
) {
  return applyDecorators(
    ApiResponse({
      status: success.status,
      description: success.description,
      schema: schemaRef(success.schema),
    }),
    ...problems.map((status) => ApiResponse({ status, ...problemResponse(status) })),
  );
}
