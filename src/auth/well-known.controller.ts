import { Controller, Get, Header } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import { Public } from '../common/decorators/public.decorator.js';
import type { Config } from '../config/config.js';
import { InjectConfig } from '../config/config.module.js';
import { SigningKeysService } from '../tokens/signing-keys.service.js';

@ApiTags('discovery')
@Public()
// Verifiers must be able to fetch keys even while Redis (the rate limiter's store) is down.
@SkipThrottle({ default: true })
@Controller('.well-known')
export class WellKnownController {
  constructor(
    private readonly keys: SigningKeysService,
    @InjectConfig() private readonly config: Config,
  ) {}

  @Get('jwks.json')
  @Header('Cache-Control', 'public, max-age=60')
  @ApiOperation({
    summary: 'Public keys that verify access tokens (RFC 7517); HMAC keys are never published',
  })
  jwks(): { keys: Record<string, unknown>[] } {
    return this.keys.jwks();
  }

  @Get('openid-configuration')
  @Header('Cache-Control', 'public, max-age=300')
  @ApiOperation({ summary: 'Discovery document (OpenID Connect Discovery / RFC 8414 fields)' })
  openidConfiguration(): Record<string, unknown> {
    const issuer = this.config.auth.issuer.replace(/\/$/, '');
    return {
      issuer: this.config.auth.issuer,
      jwks_uri: `${issuer}/.well-known/jwks.json`,
      token_endpoint: `${issuer}/auth/token`,
      revocation_endpoint: `${issuer}/oauth/revoke`,
      introspection_endpoint: `${issuer}/oauth/introspect`,
      grant_types_supported: ['password', 'refresh_token', 'client_credentials'],
      response_types_supported: ['token'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      id_token_signing_alg_values_supported: [this.config.auth.algorithm],
      token_endpoint_auth_signing_alg_values_supported: [this.config.auth.algorithm],
      subject_types_supported: ['public'],
      claims_supported: ['iss', 'aud', 'sub', 'iat', 'exp', 'jti', 'sid', 'roles', 'client_id'],
    };
  }
}
