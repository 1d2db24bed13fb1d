import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';

/** One invalid input field, as listed in a 400 response and by `validateCreateUpgradeRequest`. */
export const FieldErrorSchema = Type.Object(
  {
    field: Type.String({ description: 'Dotted path of the offending field; empty for the body itself' }),
    message: Type.String(),
  },
  { $id: 'FieldError', title: 'FieldError' },
);
export type FieldError = Static<typeof FieldErrorSchema>;

/**
 * RFC 9457 problem details, served as `application/problem+json` by every app. `errors` lists invalid
 * fields (400); apps may add extension members such as `currentStatus` and `allowedOperations` (409).
 */
export const ProblemDetailsSchema = Type.Object(
  {
    type: Type.String({ description: 'URI reference naming the problem type; `about:blank` when generic' }),
    title: Type.String(),
    status: Type.Integer({ minimum: 100, maximum: 599 }),
    detail: Type.Optional(Type.String()),
    instance: Type.Optional(Type.String({ description: 'The request path' })),
    errors: Type.Optional(Type.Array(FieldErrorSchema)),
  },
  { $id: 'ProblemDetails', title: 'ProblemDetails', additionalProperties: true },
);
export type ProblemDetails = Static<typeof ProblemDetailsSchema> & Record<string, unknown>;

export const PROBLEM_JSON = 'application/problem+json';
