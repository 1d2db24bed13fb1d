import { Module } from '@nestjs/common';
import type { DynamicModule, ExecutionContext } from '@nestjs/common';
import { APP_GUARD, Reflector } from '@nestjs/core';
import { ThrottlerGuard, ThrottlerModule } from '@nestjs/throttler';
import { tokenVerifierSettings } from './api-security-config';
import type { ApiSecurityConfig } from './api-security-config';
import { ACCESS_RULE } from './auth/access';
import type { AccessRule, AuthenticatedRequest } from './auth/access';
import { AuthGuard, TOKEN_VERIFIER } from './auth/auth.guard';
import { createTokenVerifier } from './auth/token-verifier';
import { SlicedWindowStorage } from './rate-limit-storage';

/**
 * What guards every route of the app that imports it: the AuthGuard (token, role, tenant), then a rate
 * limit per caller. Global guards run in the order they are provided, so the limiter sees the verified
 * `sub`; public routes (probes) are never limited.
 */
@Module({})
export class ApiSecurityModule {
  static forRoot(config: ApiSecurityConfig): DynamicModule {
    const reflector = new Reflector();
    const isPublic = (context: ExecutionContext) =>
      reflector.getAllAndOverride<AccessRule | undefined>(ACCESS_RULE, [
        context.getHandler(),
        context.getClass(),
      ])?.role === 'public';
    return {
      module: ApiSecurityModule,
      global: true,
      imports: [
        ThrottlerModule.forRoot({
          storage: new SlicedWindowStorage(),
          throttlers: [{ ttl: config.RATE_LIMIT_WINDOW_SECONDS * 1000, limit: config.RATE_LIMIT_REQUESTS }],
          getTracker: (request) => (request as AuthenticatedRequest).principal?.sub ?? String(request['ip']),
          skipIf: isPublic,
          errorMessage: `Too many requests from this caller (more than ${config.RATE_LIMIT_REQUESTS} in ${config.RATE_LIMIT_WINDOW_SECONDS} s); retry after the seconds in Retry-After`,
        }),
      ],
      providers: [
        { provide: TOKEN_VERIFIER, useValue: createTokenVerifier(tokenVerifierSettings(config)) },
        { provide: APP_GUARD, useClass: AuthGuard },
        { provide: APP_GUARD, useClass: ThrottlerGuard },
      ],
      exports: [TOKEN_VERIFIER],
    };
  }
}
