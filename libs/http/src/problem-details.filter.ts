import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { PROBLEM_JSON } from '@upshift/contracts';
import type { ProblemDetails } from '@upshift/contracts';
import { ProblemException, ProblemType, problemTypeFor, titleForStatus } from './problem';
import { isDatabaseUnavailable } from './database-unavailable';

/** A database that dropped away is usually back within seconds (a restart, a failover). */
const DATABASE_RETRY_AFTER_SECONDS = 2;

/** Maps a service's own domain errors to problems; null for errors it does not know. */
export type ProblemTranslator = (exception: unknown, instance: string) => ProblemDetails | null;

/** The body limit the services' JSON parsers apply, named in the 413 answer. */
export const MAX_BODY_BYTES = 256 * 1024;

/**
 * The one place where failures become HTTP responses in both services: every error leaves as
 * `application/problem+json`, whether it came from a use case, validation, authentication, Nest
 * (unknown route, malformed JSON) or a bug. A 5xx is logged with its stack and answered without internals.
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemDetailsFilter');

  constructor(
    private readonly service: string,
    private readonly translate: ProblemTranslator = () => null,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<Request>();
    const response = http.getResponse<Response>();
    const problem = this.toProblem(exception, request.originalUrl || request.url);
    if (problem.status >= 500) {
      this.logger.error(
        { err: exception, method: request.method, url: request.originalUrl },
        'request failed with an unexpected error',
      );
    }
    if (response.headersSent) return;
    if (exception instanceof ProblemException) {
      for (const [name, value] of Object.entries(exception.headers)) response.setHeader(name, value);
    } else if (problem.status === HttpStatus.SERVICE_UNAVAILABLE) {
      response.setHeader('Retry-After', String(DATABASE_RETRY_AFTER_SECONDS));
    }
    response.status(problem.status).type(PROBLEM_JSON).send(JSON.stringify(problem));
  }

  toProblem(exception: unknown, instance: string): ProblemDetails {
    if (exception instanceof ProblemException) return exception.toProblem(instance);
    const translated = this.translate(exception, instance);
    if (translated !== null) return translated;
    if (exception instanceof HttpException) return fromHttpException(exception, instance);
    const clientError = asExposedClientError(exception);
    if (clientError !== null) return fromClientError(clientError, instance);
    if (isDatabaseUnavailable(exception)) {
      return {
        type: ProblemType.UNAVAILABLE,
        title: 'Database unavailable',
        status: HttpStatus.SERVICE_UNAVAILABLE,
        detail: `The ${this.service} could not reach its database; retry after the seconds in Retry-After.`,
        instance,
      };
    }
    return {
      type: ProblemType.INTERNAL,
      title: 'Internal server error',
      status: HttpStatus.INTERNAL_SERVER_ERROR,
      detail: `The ${this.service} failed unexpectedly; the error is logged. Retry later or report it with this instance path.`,
      instance,
    };
  }
}

/** Nest's own exceptions (unknown route 404, malformed JSON 400, …). */
function fromHttpException(exception: HttpException, instance: string): ProblemDetails {
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
    type: problemTypeFor(status),
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

function fromClientError(error: { status: number; message: string }, instance: string): ProblemDetails {
  const detail =
    error.status === 413
      ? `The request body is too large; send at most ${MAX_BODY_BYTES / 1024} KiB.`
      : error.status === 400 && /JSON/i.test(error.message)
        ? `The request body is not valid JSON (${error.message}). Send a JSON object with Content-Type: application/json.`
        : error.message;
  return {
    type: problemTypeFor(error.status),
    title: titleForStatus(error.status),
    status: error.status,
    detail,
    instance,
  };
}

/**
 * Errors raised by Express middleware before Nest sees the request (body-parser's 413 "request entity
 * too large", 415 unsupported charset, …) follow the http-errors convention: a 4xx `status` and
 * `expose: true` when the message is safe to show. They are the client's mistake, not a 500.
 */
function asExposedClientError(exception: unknown): { status: number; message: string } | null {
  if (typeof exception !== 'object' || exception === null) return null;
  const { status, expose, message } = exception as { status?: unknown; expose?: unknown; message?: unknown };
  if (typeof status !== 'number' || status < 400 || status > 499 || expose !== true) return null;
  return { status, message: typeof message === 'string' ? message : 'Bad request' };
}
