import { Controller, Get, Header, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal } from '../common/decorators/current-principal.decorator.js';
import type { Principal } from '../common/principal.js';
import { UserinfoResponseDto } from './dto/userinfo-response.dto.js';
import { UserinfoService } from './userinfo.service.js';

/** OpenID Connect Core §5.3, with an access token issued to an app with the `openid` scope. */
@ApiTags('oauth2')
@ApiBearerAuth()
@Controller('oauth/userinfo')
export class UserinfoController {
  constructor(private readonly userinfo: UserinfoService) {}

  @Get()
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: "The signed-in user's claims, as the token's scopes allow (OIDC)" })
  @ApiForbiddenResponse({ description: 'The token lacks the openid scope (insufficient_scope)' })
  get(@CurrentPrincipal() principal: Principal): Promise<UserinfoResponseDto> {
    return this.userinfo.claims(principal);
  }

  @Post()
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'The same as GET /oauth/userinfo (OIDC allows both)' })
  @ApiForbiddenResponse({ description: 'The token lacks the openid scope (insufficient_scope)' })
  post(@CurrentPrincipal() principal: Principal): Promise<UserinfoResponseDto> {
    return this.userinfo.claims(principal);
  }
}
