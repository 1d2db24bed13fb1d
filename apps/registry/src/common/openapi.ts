import { applyDecorators } from '@nestjs/common';
import {
  ApiExtraModels,
  ApiProperty,
  ApiPropertyOptional,
  ApiResponse,
  getSchemaPath,
} from '@nestjs/swagger';
import { PROBLEM_JSON } from '@upshift/contracts';
import { ProblemType } from '@upshift/http';

export class FieldErrorDoc {
  @ApiProperty({ example: 'artifact.sha256' }) field!: string;
  @ApiProperty({ example: 'artifact.sha256 must be 64 lower-case hex characters' }) message!: string;
}

/**
 * RFC 9457 problem details as this API serves them, with every extension member one of its answers
 * carries (ADR 0037): clients act on `type` and these members, never on `title` or `detail` wording.
 */
export class ProblemDetailsDoc {
  @ApiProperty({
    example: 'urn:upshift:problem:validation-failed',
    enum: Object.values(ProblemType),
    description: 'Stable URN naming the problem',
  })
  type!: string;
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
  @ApiPropertyOptional({ example: 'publish', description: '409 on a status operation: the refused one' })
  attemptedOperation?: string;
  @ApiPropertyOptional({ example: 'version', description: '404 and 409 (duplicate): what kind of resource' })
  resource?: string;
  @ApiPropertyOptional({ description: '404: the id that does not exist' })
  resourceId?: string;
  @ApiPropertyOptional({ example: 'name', description: '409 (duplicate): the field whose value is taken' })
  field?: string;
  @ApiPropertyOptional({ format: 'uuid', description: '409 (duplicate): the resource that already has it' })
  existingId?: string;
  @ApiPropertyOptional({
    type: [String],
    description: "422 (signature-rejected): fingerprints of the component's keys that were tried",
  })
  keyFingerprints?: string[];
  @ApiPropertyOptional({
    enum: ['viewer', 'operator', 'admin'],
    description: '403: the role the operation needs',
  })
  requiredRole?: string;
}

const DESCRIPTIONS: Record<number, string> = {
  400: 'Malformed request; `errors` lists each invalid field',
  404: 'Something named in the path or body does not exist; `resource` and `resourceId` say what',
  409:
    'Conflicts with the current state: a duplicate (`field`, `existingId`), or an operation not allowed ' +
    'in the current status (`currentStatus`, `attemptedOperation`, `allowedOperations`)',
  422: 'The artifact signature does not verify against any of the component keys (`keyFingerprints`)',
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
