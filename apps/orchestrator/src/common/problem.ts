import { HttpException, HttpStatus } from '@nestjs/common';
import type { ValidationError } from 'class-validator';

export interface FieldError {
  field: string;
  message: string;
}

/** An RFC 9457 problem: the filter renders `type`, `title`, `status`, `detail`, `instance` and extras. */
export class ProblemException extends HttpException {
  constructor(
    status: number,
    readonly title: string,
    readonly detail: string,
    readonly extras: Record<string, unknown> = {},
  ) {
    super({ title, detail, ...extras }, status);
  }
}

export const notFound = (what: string, id: string) =>
  new ProblemException(HttpStatus.NOT_FOUND, 'Not Found', `${what} ${id} does not exist`);

export function badRequest(errors: FieldError[]): ProblemException {
  return new ProblemException(
    HttpStatus.BAD_REQUEST,
    'Bad Request',
    `The request is invalid: ${errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`,
    { errors },
  );
}

/** Flattens class-validator errors into one entry per field, with dotted paths for nested fields. */
export function fieldErrors(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...fieldErrors(error.children ?? [], field)];
  });
}
