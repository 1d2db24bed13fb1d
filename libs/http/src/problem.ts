import { HttpException, HttpStatus } from '@nestjs/common';
import type { FieldError, ProblemDetails } from '@upshift/contracts';

/**
 * The problem vocabulary of both REST services: each `type` is a stable URN clients may switch on.
 * Titles and details are for people and may change wording; types never do.
 */
export const ProblemType = {
  VALIDATION: 'urn:upshift:problem:validation-failed',
  UNAUTHORIZED: 'urn:upshift:problem:unauthorized',
  FORBIDDEN: 'urn:upshift:problem:forbidden',
  NOT_FOUND: 'urn:upshift:problem:not-found',
  METHOD_NOT_ALLOWED: 'urn:upshift:problem:method-not-allowed',
  CONFLICT: 'urn:upshift:problem:conflict',
  DUPLICATE: 'urn:upshift:problem:duplicate',
  INVALID_TRANSITION: 'urn:upshift:problem:invalid-status-transition',
  ACTIVE_EXECUTION_EXISTS: 'urn:upshift:problem:active-execution-exists',
  PAYLOAD_TOO_LARGE: 'urn:upshift:problem:payload-too-large',
  UNSUPPORTED_MEDIA_TYPE: 'urn:upshift:problem:unsupported-media-type',
  UNPROCESSABLE: 'urn:upshift:problem:unprocessable',
  SIGNATURE_REJECTED: 'urn:upshift:problem:signature-rejected',
  RATE_LIMITED: 'urn:upshift:problem:rate-limited',
  INTERNAL: 'urn:upshift:problem:internal-error',
  BAD_GATEWAY: 'urn:upshift:problem:bad-gateway',
  UNAVAILABLE: 'urn:upshift:problem:unavailable',
} as const;
export type ProblemTypeUrn = (typeof ProblemType)[keyof typeof ProblemType];

/** The type a problem gets when its thrower names none: by status, never by title. */
const TYPE_BY_STATUS: Partial<Record<number, ProblemTypeUrn>> = {
  400: ProblemType.VALIDATION,
  401: ProblemType.UNAUTHORIZED,
  403: ProblemType.FORBIDDEN,
  404: ProblemType.NOT_FOUND,
  405: ProblemType.METHOD_NOT_ALLOWED,
  409: ProblemType.CONFLICT,
  413: ProblemType.PAYLOAD_TOO_LARGE,
  415: ProblemType.UNSUPPORTED_MEDIA_TYPE,
  422: ProblemType.UNPROCESSABLE,
  429: ProblemType.RATE_LIMITED,
  500: ProblemType.INTERNAL,
  502: ProblemType.BAD_GATEWAY,
  503: ProblemType.UNAVAILABLE,
};

export function problemTypeFor(status: number): string {
  return TYPE_BY_STATUS[status] ?? (status >= 500 ? ProblemType.INTERNAL : 'about:blank');
}

/** "Unprocessable entity" for 422: the title of a problem that brings none of its own. */
export function titleForStatus(status: number): string {
  const name = HttpStatus[status] as string | undefined;
  if (name === undefined) return 'Error';
  const words = name.toLowerCase().split('_').join(' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export interface ProblemOptions {
  /** Defaults to the status's type (`problemTypeFor`). */
  type?: ProblemTypeUrn;
  /** Response headers the problem needs (`WWW-Authenticate`, `Retry-After`). */
  headers?: Record<string, string>;
}

/** An RFC 9457 problem: the filter renders `type`, `title`, `status`, `detail`, `instance` and extras. */
export class ProblemException extends HttpException {
  readonly type: string;
  readonly headers: Record<string, string>;

  constructor(
    status: number,
    readonly title: string,
    readonly detail: string,
    readonly extras: Record<string, unknown> = {},
    options: ProblemOptions = {},
  ) {
    super({ title, detail, ...extras }, status);
    this.type = options.type ?? problemTypeFor(status);
    this.headers = options.headers ?? {};
  }

  toProblem(instance: string): ProblemDetails {
    return {
      type: this.type,
      title: this.title,
      status: this.getStatus(),
      detail: this.detail,
      instance,
      ...this.extras,
    };
  }
}

export function notFound(what: string, id: string): ProblemException {
  return new ProblemException(HttpStatus.NOT_FOUND, 'Not found', `${what} ${id} does not exist`);
}

export function badRequest(errors: FieldError[]): ProblemException {
  return new ProblemException(
    HttpStatus.BAD_REQUEST,
    'The request is invalid',
    `Fix the listed fields and retry: ${errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`,
    { errors },
  );
}
