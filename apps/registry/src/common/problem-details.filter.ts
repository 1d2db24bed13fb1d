import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { PROBLEM_JSON } from '@upshift/contracts';
import type { ProblemDetails } from '@upshift/contracts';
import {
  DuplicateResourceError,
  InvalidStatusTransitionError,
  RequestValidationError,
  ResourceNotFoundError,
  SignatureRejectedError,
} from './registry-errors';

/** Problem type URIs: stable identifiers clients can switch on (the titles may change wording). */
export const ProblemTypes = {
  VALIDATION: 'urn:upshift:problem:validation-failed',
  NOT_FOUND: 'urn:upshift:problem:not-found',
  DUPLICATE: 'urn:upshift:problem:duplicate',
  INVALID_TRANSITION: 'urn:upshift:problem:invalid-status-transition',
  SIGNATURE_REJECTED: 'urn:upshift:problem:signature-rejected',
  INTERNAL: 'urn:upshift:problem:internal-error',
} as const;

/**
 * The one place where failures become HTTP responses: every error leaves as
 * `application/problem+json`, whether it came from a use case, from validation, from Nest
 * (unknown route, malformed JSON body) or from a bug.
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger(ProblemDetailsFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<Request>();
    const response = http.getResponse<Response>();
    const problem = this.toProblem(exception, request.originalUrl);
    if (problem.status >= 500) {
      this.logger.error(
        { err: exception, method: request.method, url: request.originalUrl },
        'request failed with an unexpected error',
      );
    }
    response.status(problem.status).type(PROBLEM_JSON).send(JSON.stringify(problem));
  }

  toProblem(exception: unknown, instance: string): ProblemDetails {
    if (exception instanceof RequestValidationError) {
      return {
        type: ProblemTypes.VALIDATION,
        title: 'The request is invalid',
        status: HttpStatus.BAD_REQUEST,
        detail: `Fix the listed fields and retry: ${exception.errors.map((e) => e.field).join(', ')}.`,
        instance,
        errors: exception.errors,
      };
    }
    if (exception instanceof ResourceNotFoundError) {
      return {
        type: ProblemTypes.NOT_FOUND,
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
        type: ProblemTypes.DUPLICATE,
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
        type: ProblemTypes.INVALID_TRANSITION,
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
        type: ProblemTypes.SIGNATURE_REJECTED,
        title: 'The artifact signature does not verify',
        status: HttpStatus.UNPROCESSABLE_ENTITY,
        detail: exception.message,
        instance,
        keyFingerprints: [...exception.keyFingerprints],
      };
    }
    if (exception instanceof HttpException) return this.fromHttpException(exception, instance);
    const clientError = asExposedClientError(exception);
    if (clientError !== null) {
      return {
        type: 'about:blank',
        title: titleForStatus(clientError.status),
        status: clientError.status,
        detail:
          clientError.status === 413
            ? `The request body is too large (${clientError.message}); send at most 100 kB.`
            : clientError.message,
        instance,
      };
    }
    return {
      type: ProblemTypes.INTERNAL,
      title: 'Internal server error',
      status: HttpStatus.INTERNAL_SERVER_ERROR,
      detail:
        'The registry failed unexpectedly; the error is logged. Retry later or report it with this instance path.',
      instance,
    };
  }

  /** Nest's own exceptions (unknown route 404, malformed JSON 400, payload too large 413, …). */
  private fromHttpException(exception: HttpException, instance: string): ProblemDetails {
    const status = exception.getStatus();
    const body = exception.getResponse();
    let detail = exception.message;
    if (typeof body === 'object' && 'message' in body) {
      const message = (body as { message: unknown }).message;
      detail = Array.isArray(message) ? message.join('; ') : String(message);
    }
    if (status === 400 && /JSON/i.test(detail)) {
      detail = `The request body is not valid JSON (${detail}). Send a JSON object with Content-Type: application/json.`;
    }
    const problem: ProblemDetails = {
      type: status === 404 ? ProblemTypes.NOT_FOUND : 'about:blank',
      title: titleForStatus(status),
      status,
      detail,
      instance,
    };
    // Terminus' failed readiness: say which dependency is down, and keep its per-check details.
    if (typeof body === 'object' && 'details' in body && 'error' in body) {
      const failing = Object.keys((body as { error: Record<string, unknown> }).error);
      problem.detail = `Not ready: ${failing.join(', ')} down.`;
      problem['checks'] = (body as { details: unknown }).details;
    }
    return problem;
  }
}

/**
 * Errors raised by Express middleware before Nest sees the request (body-parser's 413 "request entity
 * too large", 415 unsupported charset, …) follow the http-errors convention: a 4xx `status` and
 * `expose: true` when the message is safe to show.
 */
function asExposedClientError(exception: unknown): { status: number; message: string } | null {
  if (typeof exception !== 'object' || exception === null) return null;
  const { status, expose, message } = exception as { status?: unknown; expose?: unknown; message?: unknown };
  if (typeof status !== 'number' || status < 400 || status > 499 || expose !== true) return null;
  return { status, message: typeof message === 'string' ? message : 'Bad request' };
}

function titleForStatus(status: number): string {
  const name = HttpStatus[status] as string | undefined;
  if (name === undefined) return 'Error';
  return name
    .toLowerCase()
    .split('_')
    .map((word, index) => (index === 0 ? word.charAt(0).toUpperCase() + word.slice(1) : word))
    .join(' ');
}
