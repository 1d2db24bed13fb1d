import { HttpStatus } from '@nestjs/common';
import type { IncomingHttpHeaders } from 'http';
import type { NextFunction, Request, Response } from 'express';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { PROBLEM_JSON } from '@upshift/contracts';
import { MAX_BODY_BYTES } from './problem-details.filter';
import { ProblemException, ProblemType } from './problem';

/**
 * The media types both services read request bodies as. The apps give the JSON body parser this same
 * list, so every body that passes `requireJsonBodies()` is parsed as JSON.
 */
export const JSON_MEDIA_TYPES: readonly string[] = ['application/json', 'application/*+json'];

/** Longest piece of a client's Content-Type repeated in the answer. */
const ECHO_LIMIT = 80;

/** The media type without parameters, lower-cased: `Application/JSON; charset=utf-8` → `application/json`. */
function essence(contentType: string): string {
  return (contentType.split(';')[0] ?? '').trim().toLowerCase();
}

/** `application/json` or a structured `+json` type (`application/merge-patch+json`), with any parameters. */
export function isJsonMediaType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const type = essence(contentType);
  return type === 'application/json' || /^application\/[a-z0-9!#$&^_.-]+\+json$/.test(type);
}

/** A request carries a body when it announces a non-zero length or a transfer coding (chunked). */
export function carriesBody(headers: IncomingHttpHeaders): boolean {
  if (headers['transfer-encoding'] !== undefined) return true;
  const length = Number(headers['content-length'] ?? 0);
  return Number.isFinite(length) && length > 0;
}

/**
 * Refuses a request body that is not JSON with 415 problem+json, before any body parser runs.
 * Without it a `text/plain` body reaches validation as `{}` (every required field "must be a UUID")
 * and a form body is parsed into "property … should not exist" errors echoing the whole body: both
 * send the client looking in the wrong place. Body-less requests (`POST …/start`) need no content type.
 *
 * Registered with `app.use()` ahead of Nest's body parsers, it answers on its own: the response is
 * built from the shared problem vocabulary so it looks like every other problem.
 */
export function requireJsonBodies(): (req: Request, res: Response, next: NextFunction) => void {
  return (req, res, next) => {
    const contentType = req.headers['content-type'];
    if (!carriesBody(req.headers) || isJsonMediaType(contentType)) {
      next();
      return;
    }
    const sent =
      contentType === undefined || contentType.trim() === ''
        ? 'the request has no Content-Type'
        : `it was sent as ${essence(contentType).slice(0, ECHO_LIMIT)}`;
    const problem = new ProblemException(
      HttpStatus.UNSUPPORTED_MEDIA_TYPE,
      'Unsupported media type',
      `The request body must be JSON: send it with Content-Type: application/json (${sent}).`,
      {},
      { type: ProblemType.UNSUPPORTED_MEDIA_TYPE },
    ).toProblem(req.originalUrl || req.url);
    res.status(problem.status).type(PROBLEM_JSON).send(JSON.stringify(problem));
  };
}

/**
 * Both apps' one call: the gate, then Nest's JSON body parser for exactly the media types the gate
 * lets through (its default reads `application/json` only), up to MAX_BODY_BYTES (413 beyond). Call it
 * before anything reads bodies; in the orchestrator after the registry proxy, so the registry answers
 * for its own paths. Also drops `X-Powered-By`: nothing tells a client which framework answers.
 */
export function useJsonBodiesOnly(
  app: Pick<NestExpressApplication, 'use' | 'useBodyParser' | 'disable'>,
): void {
  app.disable('x-powered-by');
  app.use(requireJsonBodies());
  app.useBodyParser('json', { type: [...JSON_MEDIA_TYPES], limit: MAX_BODY_BYTES });
}
