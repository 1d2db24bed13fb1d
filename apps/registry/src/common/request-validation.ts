import { ValidationPipe } from '@nestjs/common';
import { flattenValidationErrors, TENANT_ID_PATTERN as TENANT_ID_SOURCE } from '@upshift/contracts';
import { RequestValidationError } from './registry-errors';

/**
 * The global body/query validation: unknown fields are refused (a misspelt `downgradeAlowed` would
 * otherwise silently mean "false"), and every invalid field is reported at once.
 */
export function createRegistryValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    transform: true,
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    stopAtFirstError: false,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => new RequestValidationError(flattenValidationErrors(errors)),
  });
}

export const TENANT_ID_PATTERN = new RegExp(TENANT_ID_SOURCE);
