import type { ValidationError } from 'class-validator';
import type { FieldError } from '../views/problem-details';

/**
 * Rules about a value's kind. When one of them fails, the range rules on the same field fail too
 * ("must not be less than 1" for the string "5") and only repeat the noise, so they are left out.
 */
const TYPE_CONSTRAINTS = new Set([
  'isInt',
  'isNumber',
  'isString',
  'isBoolean',
  'isEnum',
  'isUuid',
  'isObject',
  'isArray',
  'isVersionMap',
  'whitelistValidation',
]);

/**
 * A missing field (`@IsRequired()`, class-validator's `isDefined`) fails every other rule on it too;
 * "is required" is the one message that says what to do, so it is reported alone.
 */
const REQUIRED_CONSTRAINT = 'isDefined';

/**
 * Flattens class-validator's error tree into the `errors[]` of a problem-details body: one entry per
 * broken rule, each naming its field by dotted path. Apps pass this to
 * `ValidationPipe({ exceptionFactory })` so every 400 names fields the same way.
 */
export function flattenValidationErrors(errors: readonly ValidationError[], parent = ''): FieldError[] {
  const out: FieldError[] = [];
  for (const error of errors) {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const constraints = Object.entries(error.constraints ?? {});
    const missing = constraints.filter(([name]) => name === REQUIRED_CONSTRAINT);
    const typeErrors = constraints.filter(([name]) => TYPE_CONSTRAINTS.has(name));
    const reported = missing.length > 0 ? missing : typeErrors.length > 0 ? typeErrors : constraints;
    for (const [, message] of reported) out.push({ field, message });
    if (error.children && error.children.length > 0)
      out.push(...flattenValidationErrors(error.children, field));
  }
  return out;
}
