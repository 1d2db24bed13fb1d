import type { OpenAPIObject } from '@nestjs/swagger';
import { ApiResponse } from '@nestjs/swagger';
import { applyDecorators } from '@nestjs/common';
import {
  ExecutionStatisticsSchema,
  ProblemDetailsSchema,
  UpgradeExecutionViewSchema,
} from '@upshift/contracts';

/**
 * The response shapes of the OpenAPI document come from the TypeBox contracts (the one source of truth
 * the JSON Schemas are generated from), not from a second set of Swagger classes.
 */
type SchemaName =
  'UpgradeExecutionView' | 'ExecutionStatistics' | 'ProblemDetails' | 'UpgradePage' | 'Transcript';

/** A plain JSON copy without `$id`s: inside an OpenAPI document the components name the schemas. */
function plain(schema: unknown): Record<string, unknown> {
  return JSON.parse(JSON.stringify(schema), (key, value: unknown) =>
    key === '$id' ? undefined : value,
  ) as Record<string, unknown>;
}

export function schemaRef(name: SchemaName): { $ref: string } {
  return { $ref: `#/components/schemas/${name}` };
}

const COMPONENT_SCHEMAS: Record<SchemaName, Record<string, unknown>> = {
  UpgradeExecutionView: plain(UpgradeExecutionViewSchema),
  ExecutionStatistics: plain(ExecutionStatisticsSchema),
  ProblemDetails: plain(ProblemDetailsSchema),
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
    required: ['executionId', 'lines'],
    properties: {
      executionId: { type: 'string', format: 'uuid' },
      lines: {
        type: 'array',
        items: {
          type: 'object',
          required: ['at', 'line'],
          properties: { at: { type: 'string', format: 'date-time' }, line: { type: 'string' } },
        },
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

const PROBLEM_STATUSES: Record<number, string> = {
  400: 'Malformed input; `errors` names each field',
  404: 'No such execution (or tenant resource)',
  409: 'Not allowed in the current status; `currentStatus` and `allowedOperations` say what is',
  422: 'The registry refuses the path (`blockers`), or fewer instances exist than asked',
};

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
    ...problems.map((status) =>
      ApiResponse({
        status,
        description: PROBLEM_STATUSES[status] ?? 'Problem',
        schema: schemaRef('ProblemDetails'),
      }),
    ),
  );
}
