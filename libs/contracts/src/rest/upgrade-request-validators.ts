import { IsDefined, ValidatorConstraint, registerDecorator } from 'class-validator';
import type { ValidationArguments, ValidationOptions, ValidatorConstraintInterface } from 'class-validator';
import { UPGRADE_REQUEST_LIMITS } from './upgrade-request-defaults';

/**
 * A field the client must send (absent or `null` fails). `flattenValidationErrors` reports only this
 * message for a missing field, so a forgotten `componentId` reads "componentId is required" rather
 * than "componentId must be a UUID".
 */
export function IsRequired(options?: ValidationOptions): PropertyDecorator {
  return IsDefined({ message: '$property is required', ...options });
}

/**
 * `healthCheckTimeoutSeconds` must leave room for at least one poll: a timeout shorter than the interval
 * would fail every instance before its first health check.
 */
@ValidatorConstraint({ name: 'isAtLeastField', async: false })
class IsAtLeastFieldConstraint implements ValidatorConstraintInterface {
  validate(value: unknown, args: ValidationArguments): boolean {
    const [otherField] = args.constraints as [string];
    const other = (args.object as Record<string, unknown>)[otherField];
    // Type errors on either field are reported by their own rules; compare only two numbers.
    if (typeof value !== 'number' || typeof other !== 'number') return true;
    return value >= other;
  }

  defaultMessage(args: ValidationArguments): string {
    const [otherField] = args.constraints as [string];
    const other = (args.object as Record<string, unknown>)[otherField];
    return `${args.property} must be greater than or equal to ${otherField} (${String(other)})`;
  }
}

export function IsAtLeastField(otherField: string, options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) => {
    registerDecorator({
      name: 'isAtLeastField',
      target: target.constructor,
      propertyName: String(propertyName),
      constraints: [otherField],
      options,
      validator: IsAtLeastFieldConstraint,
    });
  };
}

/** A map of installed component name → version string, as the registry's dependency check reads it. */
@ValidatorConstraint({ name: 'isVersionMap', async: false })
class IsVersionMapConstraint implements ValidatorConstraintInterface {
  private problem(value: unknown): string | null {
    const limits = UPGRADE_REQUEST_LIMITS;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return 'must be an object mapping component names to version strings';
    }
    const entries = Object.entries(value);
    if (entries.length > limits.maxInstalledComponents) {
      return `must not list more than ${limits.maxInstalledComponents} components`;
    }
    for (const [name, version] of entries) {
      if (name.length === 0 || name.length > limits.maxComponentNameLength) {
        return `has a component name that is empty or longer than ${limits.maxComponentNameLength} characters`;
      }
      if (typeof version !== 'string' || version.length === 0 || version.length > limits.maxVersionLength) {
        return `.${name} must be a version string of 1 to ${limits.maxVersionLength} characters`;
      }
    }
    return null;
  }

  validate(value: unknown): boolean {
    return this.problem(value) === null;
  }

  defaultMessage(args: ValidationArguments): string {
    const problem = this.problem(args.value) ?? '';
    return problem.startsWith('.') ? `${args.property}${problem}` : `${args.property} ${problem}`;
  }
}

export function IsVersionMap(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) => {
    registerDecorator({
      name: 'isVersionMap',
      target: target.constructor,
      propertyName: String(propertyName),
      options,
      validator: IsVersionMapConstraint,
    });
  };
}
