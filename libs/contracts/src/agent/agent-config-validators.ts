import { ValidateBy, type ValidationOptions } from 'class-validator';
import { parseAgentAuthKey } from './agent-request-signature';
import { parseAgentUrlAllowList } from './agent-url-policy';

/**
 * Config-class decorators for AGENT_AUTH_KEY and AGENT_URL_ALLOW, so that every service validates them
 * at start-up by the same rules the parsers apply. The messages name the variable, never its value.
 */
export function IsAgentAuthKey(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isAgentAuthKey',
      validator: {
        validate: (value) => typeof value === 'string' && succeeds(() => parseAgentAuthKey(value)),
        defaultMessage: (args) =>
          args?.value === undefined || args.value === ''
            ? 'AGENT_AUTH_KEY is required (openssl rand -hex 32)'
            : 'AGENT_AUTH_KEY must be at least 32 bytes, hex-encoded (64 or more hex digits; openssl rand -hex 32)',
      },
    },
    options,
  );
}

export function IsAgentUrlAllowList(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isAgentUrlAllowList',
      validator: {
        validate: (value) => typeof value === 'string' && succeeds(() => parseAgentUrlAllowList(value)),
        defaultMessage: (args) => {
          try {
            parseAgentUrlAllowList(String(args?.value ?? ''));
          } catch (error) {
            return (error as Error).message;
          }
          return 'AGENT_URL_ALLOW is invalid';
        },
      },
    },
    options,
  );
}

function succeeds(parse: () => unknown): boolean {
  try {
    parse();
    return true;
  } catch {
    return false;
  }
}
