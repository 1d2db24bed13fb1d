import { HttpStatus } from '@nestjs/common';
import { ProblemType } from '@upshift/http';
import type { ProblemTranslator } from '@upshift/http';
import {
  DuplicateResourceError,
  InvalidStatusTransitionError,
  RequestValidationError,
  ResourceNotFoundError,
  SignatureRejectedError,
} from './registry-errors';

/**
 * The registry's use-case errors as problems (the shared ProblemDetailsFilter renders them): the
 * services know nothing about HTTP, this is the one place that does.
 */
export const registryProblem: ProblemTranslator = (exception, instance) => {
  if (exception instanceof RequestValidationError) {
    return {
      type: ProblemType.VALIDATION,
      title: 'The request is invalid',
      status: HttpStatus.BAD_REQUEST,
      detail: `Fix the listed fields and retry: ${exception.errors.map((e) => e.field).join(', ')}.`,
      instance,
      errors: exception.errors,
    };
  }
  if (exception instanceof ResourceNotFoundError) {
    return {
      type: ProblemType.NOT_FOUND,
      title: `The ${exception.resource} was not found`,
      status: HttpStatus.NOT_FOUND,
      detail: exception.message,
      instance,
      resource: exception.resource,
      resourceId: exception.id,
    };
  }
  if (exception instanceof DuplicateResourceError) {
    return {
      type: ProblemType.DUPLICATE,
      title: `The ${exception.resource} already exists`,
      status: HttpStatus.CONFLICT,
      detail: exception.message,
      instance,
      resource: exception.resource,
      field: exception.conflictingField,
      existingId: exception.existingId,
    };
  }
  if (exception instanceof InvalidStatusTransitionError) {
    return {
      type: ProblemType.INVALID_TRANSITION,
      title: 'The operation is not allowed in the current status',
      status: HttpStatus.CONFLICT,
      detail: exception.message,
      instance,
      currentStatus: exception.currentStatus,
      attemptedOperation: exception.attemptedOperation,
      allowedOperations: [...exception.allowedOperations],
    };
  }
  if (exception instanceof SignatureRejectedError) {
    return {
      type: ProblemType.SIGNATURE_REJECTED,
      title: 'The artifact signature does not verify',
      status: HttpStatus.UNPROCESSABLE_ENTITY,
      detail: exception.message,
      instance,
      keyFingerprints: [...exception.keyFingerprints],
    };
  }
  return null;
};
