import { ValidateBy, ValidationOptions } from 'class-validator';
import { UPGRADE_REQUEST_LIMITS } from '@upshift/contracts';
import * as semver from 'semver';

/** Component names: lower-case slugs, so that dependency maps and installed-component maps agree. */
export const COMPONENT_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const LABEL_KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,127}$/;

type EntryCheck = (key: string, value: unknown) => string | null;

/** Validates a JSON object used as a map; the message names every bad entry. */
function mapOf(
  name: string,
  maxEntries: number,
  check: EntryCheck,
  options?: ValidationOptions,
): PropertyDecorator {
  const problemsOf = (value: unknown, property: string): string[] => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return [`${property} must be a JSON object`];
    }
    const entries = Object.entries(value);
    if (entries.length > maxEntries) return [`${property} may have at most ${maxEntries} entries`];
    return entries
      .map(([key, entry]) => {
        const problem = check(key, entry);
        return problem === null ? null : `${property}["${key}"] ${problem}`;
      })
      .filter((problem): problem is string => problem !== null);
  };
  return ValidateBy(
    {
      name,
      validator: {
        validate: (value, args) => problemsOf(value, args?.property ?? name).length === 0,
        defaultMessage: (args) => problemsOf(args?.value, args?.property ?? name).join('; '),
      },
    },
    options,
  );
}

/** `{ componentName: semverRange }`, e.g. `{ "kafka": ">=3.5.0 <4.0.0" }`. */
export function IsDependencyRangeMap(options?: ValidationOptions): PropertyDecorator {
  return mapOf(
    'isDependencyRangeMap',
    100,
    (key, value) => {
      if (!COMPONENT_NAME_PATTERN.test(key))
        return 'has a key that is not a component name (lower-case a-z, 0-9, . _ -)';
      if (typeof value !== 'string' || semver.validRange(value) === null) {
        return `must be a semver range such as ">=3.5.0 <4.0.0" or "^16.0.0", got ${JSON.stringify(value)}`;
      }
      return null;
    },
    options,
  );
}

/**
 * `{ componentName: installedVersion }` as the orchestrator forwards it from an upgrade request: the
 * same limits as the request's own validation (libs/contracts), so that nothing the orchestrator
 * accepted is refused here. Versions such as "16.1" are fine (docs/api-contract.md); one that is no version at
 * all is reported by the path search as an unsatisfied dependency, not as a malformed request.
 */
export function IsInstalledComponentMap(options?: ValidationOptions): PropertyDecorator {
  const limits = UPGRADE_REQUEST_LIMITS;
  return mapOf(
    'isInstalledComponentMap',
    limits.maxInstalledComponents,
    (key, value) => {
      if (key.length === 0 || key.length > limits.maxComponentNameLength) {
        return `has a component name that is empty or longer than ${limits.maxComponentNameLength} characters`;
      }
      if (typeof value !== 'string' || value.length === 0 || value.length > limits.maxVersionLength) {
        return `must be a version string of 1 to ${limits.maxVersionLength} characters`;
      }
      return null;
    },
    options,
  );
}

/** Instance labels: `{ key: string }`, Kubernetes-like keys, values up to 256 characters. */
export function IsLabelMap(options?: ValidationOptions): PropertyDecorator {
  return mapOf(
    'isLabelMap',
    64,
    (key, value) => {
      if (!LABEL_KEY_PATTERN.test(key))
        return 'has a key that is not a label name (A-Z a-z 0-9 . _ / -, up to 128)';
      if (typeof value !== 'string' || value.length > 256)
        return 'must be a string of at most 256 characters';
      return null;
    },
    options,
  );
}
