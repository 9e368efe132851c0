import { Controller, Get, Header } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import { Public } from '../common/decorators/public.decorator.js';
import type { Config } from '../config/config.js';
import { InjectConfig } from '../config/config.module.js';
import { SigningKeysService } from '../tokens/signing-keys.service.js';
import { SUPPORTED_SCOPES } from '../clients/client-metadata.js';
import { PROMPTS } from '../sso/authorization-request.js';

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
      authorization_endpoint: `${issuer}/oauth/authorize`,
      token_endpoint: `${issuer}/auth/token`,
      userinfo_endpoint: `${issuer}/oauth/userinfo`,
      end_session_endpoint: `${issuer}/oauth/end-session`,
      jwks_uri: `${issuer}/.well-known/jwks.json`,
      revocation_endpoint: `${issuer}/oauth/revoke`,
      introspection_endpoint: `${issuer}/oauth/introspect`,
      response_types_supported: ['code'],
      response_modes_supported: ['query'],
      grant_types_supported: [
        'authorization_code',
        'refresh_token',
        'client_credentials',
        'password',
      ],
      code_challenge_methods_supported: ['S256'],
      scopes_supported: [...SUPPORTED_SCOPES],
      prompt_values_supported: [...PROMPTS],
      authorization_response_iss_parameter_supported: true,
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
      revocation_endpoint_auth_methods_supported: [
        'client_secret_basic',
        'client_secret_post',
        'none',
      ],
      introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      id_token_signing_alg_values_supported: [this.config.auth.algorithm],
      subject_types_supported: ['public'],
      claims_supported: [
        'iss',
        'sub',
        'aud',
        'exp',
        'iat',
        'auth_time',
        'nonce',
        'sid',
        'at_hash',
        'email',
        'email_verified',
        'name',
        'preferred_username',
      ],
    };
  }
}
