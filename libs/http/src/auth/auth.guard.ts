import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import type { CanActivate, ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ProblemException, ProblemType } from '../problem';
import { ACCESS_RULE } from './access';
import type { AccessRule, AuthenticatedRequest } from './access';
import { canSeeTenant, hasRole } from './principal';
import { InvalidTokenError } from './token-verifier';
import type { TokenVerifier } from './token-verifier';

export const TOKEN_VERIFIER = Symbol('TOKEN_VERIFIER');

const REALM = 'upshift';

/**
 * The one gate of both services: the route's access rule, a verified bearer token, the role the rule
 * names, and the tenant of a `:tenantId` path (another tenant's data answers 404, as if it did not
 * exist). Routes that take an execution id check its tenant in the service, where the row is loaded.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    @Inject(TOKEN_VERIFIER) private readonly verifier: TokenVerifier,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const rule = this.reflector.getAllAndOverride<AccessRule | undefined>(ACCESS_RULE, [
      context.getHandler(),
      context.getClass(),
    ]);
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const params = (request.params ?? {}) as Record<string, string | undefined>;
    if (rule === undefined) {
      // Fail closed: a route that forgot to declare its rule is nobody's.
      throw new ProblemException(HttpStatus.FORBIDDEN, 'Forbidden', 'This route declares no access rule.');
    }
    if (rule.role === 'public') return true;

    request.auditContext = {
      action: rule.action ?? `${request.method} ${request.route?.path ?? request.path}`,
      tenantId: params['tenantId'] ?? null,
      targetId: targetOf(params),
    };
    const token = bearerToken(request.headers.authorization);
    try {
      request.principal = await this.verifier.verify(token);
    } catch (error) {
      if (error instanceof InvalidTokenError) throw unauthorized(error.description);
      throw error;
    }
    if (!hasRole(request.principal, rule.role)) {
      throw new ProblemException(
        HttpStatus.FORBIDDEN,
        'Forbidden',
        `This operation needs the ${rule.role} role; the token has ${request.principal.roles.join(', ')}.`,
        { requiredRole: rule.role },
        { headers: { 'WWW-Authenticate': `Bearer realm="${REALM}", error="insufficient_scope"` } },
      );
    }
    const tenantId = params['tenantId'];
    if (tenantId !== undefined && !canSeeTenant(request.principal, tenantId)) {
      throw new ProblemException(HttpStatus.NOT_FOUND, 'Not found', `Tenant ${tenantId} does not exist`);
    }
    return true;
  }
}

/** The most specific id in the path: what the operation acts on. */
function targetOf(params: Record<string, string | undefined>): string | null {
  for (const key of ['executionId', 'instanceId', 'versionId', 'keyId', 'componentId']) {
    if (params[key] !== undefined) return params[key];
  }
  return null;
}

function bearerToken(header: string | undefined): string {
  if (header === undefined || header === '') {
    throw new ProblemException(
      HttpStatus.UNAUTHORIZED,
      'Unauthorized',
      'This request needs a bearer token: send Authorization: Bearer <JWT>.',
      {},
      { type: ProblemType.UNAUTHORIZED, headers: { 'WWW-Authenticate': `Bearer realm="${REALM}"` } },
    );
  }
  const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i.exec(header);
  if (match === null) throw unauthorized('The Authorization header is not "Bearer <JWT>"');
  return match[1] as string;
}

function unauthorized(description: string): ProblemException {
  const quoted = description.replace(/["\\]/g, "'");
  return new ProblemException(
    HttpStatus.UNAUTHORIZED,
    'Unauthorized',
    `${description}.`,
    {},
    {
      headers: {
        'WWW-Authenticate': `Bearer realm="${REALM}", error="invalid_token", error_description="${quoted}"`,
      },
    },
  );
}
