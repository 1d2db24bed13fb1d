import { Transform } from 'class-transformer';
import {
  IsInt,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  Min,
  MinLength,
  ValidateIf,
} from 'class-validator';
import type { TokenVerifierSettings } from './auth/token-verifier';

/**
 * What both REST services need to guard their API: token verification and the rate limit. Services
 * extend it, so the variables, their checks and their messages are the same everywhere. An empty
 * value counts as unset.
 */
export class ApiSecurityConfig {
  /** HS256 secret shared with whoever mints tokens (`npm run token`); at least 32 bytes. */
  @ValidateIf((config: ApiSecurityConfig) => config.AUTH_JWT_SECRET !== '' || config.AUTH_JWKS_URL === '')
  @IsString()
  @MinLength(32, {
    message:
      'AUTH_JWT_SECRET must be at least 32 bytes long; set it (e.g. `openssl rand -base64 48`) or set AUTH_JWKS_URL',
  })
  @Transform(({ value }) => (value === undefined || value === null ? '' : String(value)))
  AUTH_JWT_SECRET = '';

  /** JWKS document of an OIDC provider (RS256 / ES256), e.g. Keycloak's `/protocol/openid-connect/certs`. */
  @ValidateIf((config: ApiSecurityConfig) => config.AUTH_JWKS_URL !== '')
  @IsUrl(
    { require_tld: false, protocols: ['http', 'https'] },
    { message: 'AUTH_JWKS_URL must be an http(s) URL' },
  )
  @Transform(({ value }) => (value === undefined || value === null ? '' : String(value)))
  AUTH_JWKS_URL = '';

  /** Checked against `iss` when set. */
  @IsOptional()
  @IsString()
  @Transform(({ value }) => (value === undefined || value === null ? '' : String(value)))
  AUTH_ISSUER = '';

  /** Checked against `aud` when set. */
  @IsOptional()
  @IsString()
  @Transform(({ value }) => (value === undefined || value === null ? '' : String(value)))
  AUTH_AUDIENCE = '';

  /** Requests one caller (the token's `sub`) may make per RATE_LIMIT_WINDOW_SECONDS, per replica. */
  @Transform(({ value }) => (value === undefined || value === null || value === '' ? 6000 : Number(value)))
  @IsInt({ message: 'RATE_LIMIT_REQUESTS must be a whole number' })
  @Min(1, { message: 'RATE_LIMIT_REQUESTS must be at least 1' })
  RATE_LIMIT_REQUESTS = 6000;

  @Transform(({ value }) => (value === undefined || value === null || value === '' ? 60 : Number(value)))
  @IsInt({ message: 'RATE_LIMIT_WINDOW_SECONDS must be a whole number' })
  @Min(1, { message: 'RATE_LIMIT_WINDOW_SECONDS must be between 1 and 3600' })
  @Max(3600, { message: 'RATE_LIMIT_WINDOW_SECONDS must be between 1 and 3600' })
  RATE_LIMIT_WINDOW_SECONDS = 60;

  /**
   * When set, `GET /metrics` wants `Authorization: Bearer <this>`; unset, it is open like the health
   * probes (docs/adr/0086-metrics-endpoints.md). A static secret for a scraper, not a user's JWT.
   */
  @ValidateIf((config: ApiSecurityConfig) => config.METRICS_TOKEN !== '')
  @IsString()
  @MinLength(16, { message: 'METRICS_TOKEN must be at least 16 characters long when set' })
  @Matches(/^\S+$/, { message: 'METRICS_TOKEN must not contain spaces' })
  @Transform(({ value }) => (value === undefined || value === null ? '' : String(value)))
  METRICS_TOKEN = '';
}

export function tokenVerifierSettings(config: ApiSecurityConfig): TokenVerifierSettings {
  return {
    jwtSecret: config.AUTH_JWT_SECRET || undefined,
    jwksUrl: config.AUTH_JWKS_URL || undefined,
    issuer: config.AUTH_ISSUER || undefined,
    audience: config.AUTH_AUDIENCE || undefined,
  };
}
