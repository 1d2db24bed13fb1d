import { applyDecorators } from '@nestjs/common';
import {
  ApiExtraModels,
  ApiProperty,
  ApiPropertyOptional,
  ApiResponse,
  getSchemaPath,
} from '@nestjs/swagger';
import { PROBLEM_JSON } from '@upshift/contracts';

export class FieldErrorDoc {
  @ApiProperty({ example: 'artifact.sha256' }) field!: string;
  @ApiProperty({ example: 'artifact.sha256 must be 64 lower-case hex characters' }) message!: string;
}

/** RFC 9457 problem details as this API serves them. */
export class ProblemDetailsDoc {
  @ApiProperty({ example: 'urn:upshift:problem:validation-failed' }) type!: string;
  @ApiProperty({ example: 'The request is invalid' }) title!: string;
  @ApiProperty({ example: 400 }) status!: number;
  @ApiProperty() detail!: string;
  @ApiProperty({ example: '/api/v1/registry/components' }) instance!: string;
  @ApiPropertyOptional({
    type: FieldErrorDoc,
    isArray: true,
    description: '400: one entry per invalid field',
  })
  errors?: FieldErrorDoc[];
  @ApiPropertyOptional({ example: 'published', description: '409 on a status operation' })
  currentStatus?: string;
  @ApiPropertyOptional({ example: ['deprecate', 'yank'], description: '409 on a status operation' })
  allowedOperations?: string[];
}

const DESCRIPTIONS: Record<number, string> = {
  400: 'Malformed request; `errors` lists each invalid field',
  404: 'Something named in the path or body does not exist; `detail` says what',
  409: 'Conflicts with the current state (duplicate, or an operation not allowed in the current status)',
  422: 'The artifact signature does not verify against any of the component keys',
};

/** Documents the problem+json responses an operation can return. */
export function ApiProblemResponses(...statuses: (400 | 404 | 409 | 422)[]): MethodDecorator {
  return applyDecorators(
    ApiExtraModels(ProblemDetailsDoc),
    ...statuses.map((status) =>
      ApiResponse({
        status,
        description: DESCRIPTIONS[status],
        content: { [PROBLEM_JSON]: { schema: { $ref: getSchemaPath(ProblemDetailsDoc) } } },
      }),
    ),
  );
}
