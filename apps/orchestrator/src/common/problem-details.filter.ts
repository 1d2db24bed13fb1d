import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { ProblemException } from './problem';

const PROBLEM_TYPE_BASE = 'https://upshift.dev/problems/';

function slug(title: string): string {
  return title.toLowerCase().replace(/[^a-z0-9]+/g, '-');
}

/**
 * The one error shape of the service: RFC 9457 `application/problem+json`. Anything that is neither an
 * HttpException nor a client error raised by Express middleware is a bug: logged with its stack,
 * answered as a 500 without internals.
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemDetailsFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const response = http.getResponse<Response>();
    const request = http.getRequest<Request>();
    const body = this.toProblem(exception, request.originalUrl || request.url);
    if (body.status >= 500) this.logger.error({ err: exception, path: request.url }, 'request failed');
    if (response.headersSent) return;
    response.status(body.status).type('application/problem+json').send(JSON.stringify(body));
  }

  private toProblem(exception: unknown, instance: string): { status: number; [key: string]: unknown } {
    if (exception instanceof ProblemException) {
      return {
        type: PROBLEM_TYPE_BASE + slug(exception.title),
        title: exception.title,
        status: exception.getStatus(),
        detail: exception.detail,
        instance,
        ...exception.extras,
      };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const payload = exception.getResponse();
      const message =
        typeof payload === 'string'
          ? payload
          : Array.isArray((payload as { message?: unknown }).message)
            ? (payload as { message: string[] }).message.join('; ')
            : String((payload as { message?: unknown }).message ?? exception.message);
      return plainProblem(status, message, instance);
    }
    const clientError = asExposedClientError(exception);
    if (clientError) return plainProblem(clientError.status, clientError.message, instance);
    return {
      type: PROBLEM_TYPE_BASE + 'internal-error',
      title: 'Internal Server Error',
      status: 500,
      detail: 'An unexpected error occurred; the log has the details.',
      instance,
    };
  }
}

/** A problem titled after its status ("Payload too large"), for errors that bring no title of their own. */
function plainProblem(
  status: number,
  detail: string,
  instance: string,
): { status: number; [key: string]: unknown } {
  const name = (HttpStatus[status] as string | undefined)?.replace(/_/g, ' ') ?? 'Error';
  const title = name.charAt(0) + name.slice(1).toLowerCase();
  return { type: PROBLEM_TYPE_BASE + slug(title), title, status, detail, instance };
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
