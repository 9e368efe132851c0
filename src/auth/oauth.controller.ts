import { Controller, Header, HttpCode, Post, Req, Res } from '@nestjs/common';
import {
  ApiBody,
  ApiConsumes,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../common/decorators/public.decorator.js';
import { requestOrigin } from '../common/request-origin.js';
import { DEVICE_HEADER, presentedDeviceTokens, setDeviceCookie } from '../common/device-cookie.js';
import { RateLimit } from '../rate-limit/rate-limit.decorator.js';
import { DEVICE_TOKEN_TTL_SECONDS } from '../tokens/device-tokens.service.js';
import {
  IntrospectionResponseDto,
  IntrospectRequestDto,
  RevokeRequestDto,
  TokenRequestDto,
} from './dto/oauth-requests.dto.js';
import { TokenResponseDto } from './dto/token-response.dto.js';
import { parseOAuthBody, presentedClient } from './oauth-body.js';
import { OAuthService } from './oauth.service.js';

const FORM = 'application/x-www-form-urlencoded';

function grantCategory(request: FastifyRequest) {
  const grant = (request.body as { grant_type?: unknown } | undefined)?.grant_type;
  return grant === 'password' ? 'login' : grant === 'refresh_token' ? 'refresh' : 'default';
}

/** The OAuth2 endpoints. Public routes: each authenticates its caller itself, as its RFC says. */
@ApiTags('oauth2')
@Public()
@Controller()
export class OAuthController {
  constructor(private readonly oauth: OAuthService) {}

  @Post('auth/token')
  @HttpCode(200)
  @RateLimit(grantCategory)
  @Header('Cache-Control', 'no-store')
  @Header('Pragma', 'no-cache')
  @ApiOperation({
    summary:
      'OAuth2 token endpoint (RFC 6749): authorization_code (PKCE, OpenID Connect), password, refresh_token and client_credentials grants',
  })
  @ApiConsumes(FORM, 'application/json')
  @ApiBody({ type: TokenRequestDto })
  @ApiHeader({
    name: DEVICE_HEADER,
    required: false,
    description: 'Password grant: the device token from an earlier sign-in (see /auth/login)',
  })
  @ApiOkResponse({ type: TokenResponseDto })
  async token(
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TokenResponseDto> {
    const dto = parseOAuthBody(TokenRequestDto, request);
    const grant = await this.oauth.token(dto, presentedClient(request, dto), {
      origin: requestOrigin(request),
      deviceTokens: presentedDeviceTokens(request),
    });
    if (grant.deviceToken) setDeviceCookie(reply, grant.deviceToken, DEVICE_TOKEN_TTL_SECONDS);
    return grant.response;
  }

  @Post('oauth/revoke')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Revoke an access or refresh token (RFC 7009); 200 even for unknown tokens',
  })
  @ApiConsumes(FORM, 'application/json')
  @ApiBody({ type: RevokeRequestDto })
  async revoke(@Req() request: FastifyRequest): Promise<void> {
    const dto = parseOAuthBody(RevokeRequestDto, request);
    await this.oauth.revoke(dto, presentedClient(request, dto));
  }

  @Post('oauth/introspect')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary: 'Introspect a token (RFC 7662); needs client authentication or an admin access token',
  })
  @ApiConsumes(FORM, 'application/json')
  @ApiBody({ type: IntrospectRequestDto })
  @ApiOkResponse({ type: IntrospectionResponseDto })
  async introspect(@Req() request: FastifyRequest): Promise<IntrospectionResponseDto> {
    const dto = parseOAuthBody(IntrospectRequestDto, request);
    const header = request.headers.authorization ?? '';
    const bearer = /^bearer\s+/i.test(header) ? header.replace(/^bearer\s+/i, '') : null;
    await this.oauth.authorizeIntrospection(presentedClient(request, dto), bearer);
    return this.oauth.introspect(dto);
  }
}
