/**
 * The failures a registry use case can end in. Services throw these (they know nothing about HTTP);
 * registry-problems.ts maps each into its `application/problem+json` response.
 */
import type { FieldError } from '@upshift/contracts';

/** 400: the request itself is malformed; every offending field is listed. */
export class RequestValidationError extends Error {
  constructor(readonly errors: FieldError[]) {
    super(`Invalid request: ${errors.map((error) => `${error.field}: ${error.message}`).join('; ')}`);
    this.name = 'RequestValidationError';
  }
}

/** 404: `resource` names the kind of thing that is missing, `id` which one. */
export class ResourceNotFoundError extends Error {
  constructor(
    readonly resource: 'component' | 'version' | 'instance' | 'signing key',
    readonly id: string,
    detail: string,
  ) {
    super(detail);
    this.name = 'ResourceNotFoundError';
  }
}

/** 409: something with the same identity already exists (a version string, a component name, a key). */
export class DuplicateResourceError extends Error {
  constructor(
    readonly resource: 'component' | 'version' | 'signing key',
    readonly conflictingField: string,
    detail: string,
    readonly existingId: string | null = null,
  ) {
    super(detail);
    this.name = 'DuplicateResourceError';
  }
}

/** 409: the operation is not allowed in the resource's current status. */
export class InvalidStatusTransitionError extends Error {
  constructor(
    readonly currentStatus: string,
    readonly attemptedOperation: string,
    readonly allowedOperations: readonly string[],
    detail: string,
  ) {
    super(detail);
    this.name = 'InvalidStatusTransitionError';
  }
}

/** 422: the artifact's signature does not verify against any of the component's keys. */
export class SignatureRejectedError extends Error {
  constructor(
    detail: string,
    readonly keyFingerprints: readonly string[],
  ) {
    super(detail);
    this.name = 'SignatureRejectedError';
  }
}
