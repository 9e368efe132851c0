import {
  Body,
  Controller,
  Delete,
  Get,
  Header,
  HttpCode,
  Post,
  Req,
  Res,
  UseGuards,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiHeader,
  ApiNoContentResponse,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AllowClientTokens } from '../common/decorators/allow-client-tokens.decorator.js';
import { CurrentPrincipal } from '../common/decorators/current-principal.decorator.js';
import { Public } from '../common/decorators/public.decorator.js';
import { UuidParam } from '../common/decorators/uuid-param.decorator.js';
import { DEVICE_HEADER, setDeviceCookie } from '../common/device-cookie.js';
import type { Principal } from '../common/principal.js';
import { requestOrigin } from '../common/request-origin.js';
import {
  clearSessionCookies,
  CSRF_HEADER,
  setSessionCookies,
  TOKEN_DELIVERY_HEADER,
  wantsCookieDelivery,
} from '../common/token-cookies.js';
import { ValidationFailedException } from '../common/errors.js';
import { RateLimit } from '../rate-limit/rate-limit.decorator.js';
import { DEVICE_TOKEN_TTL_SECONDS } from '../tokens/device-tokens.service.js';
import { RegisterUserDto } from '../users/dto/register-user.dto.js';
import { SessionResponseDto } from '../users/dto/session-response.dto.js';
import { toUserResponse, UserResponseDto } from '../users/dto/user-response.dto.js';
import type { PasswordSignIn } from '../users/password-sign-in.service.js';
import { UsersService } from '../users/users.service.js';
import { AuthService, IssuedSession } from './auth.service.js';
import { CookieSessionsService } from './cookie-sessions.service.js';
import { CookieSessionResponseDto } from './dto/cookie-session-response.dto.js';
import { LoginDto } from './dto/login.dto.js';
import { MeResponseDto, toMeResponse } from './dto/me-response.dto.js';
import { LogoutDto, RefreshTokenDto } from './dto/refresh-token.dto.js';
import { TokenResponseDto } from './dto/token-response.dto.js';
import { LocalAuthGuard } from './guards/local-auth.guard.js';

/** `X-Token-Delivery`: cookie mode's switch (docs/token-flows.md). */
const TOKEN_DELIVERY_DOC = {
  name: TOKEN_DELIVERY_HEADER,
  required: false,
  enum: ['body', 'cookie'],
  description:
    '`cookie`: tokens in HttpOnly cookies instead of the body, for first-party web apps (default `body`)',
};

const CSRF_DOC = {
  name: CSRF_HEADER,
  required: false,
  description:
    'Cookie mode: the CSRF token from the sign-in (also in the `__Host-csrf-token` cookie)',
};

function refreshTokenRequired(): ValidationFailedException {
  return new ValidationFailedException([
    { field: 'refresh_token', messages: ['refresh_token is required'] },
  ]);
}

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly cookieSessions: CookieSessionsService,
    private readonly users: UsersService,
  ) {}

  @Public()
  @RateLimit('register')
  @Post('register')
  @ApiOperation({ summary: 'Create an account (role `user`)' })
  @ApiCreatedResponse({ type: UserResponseDto })
  @ApiConflictResponse({ description: 'Email or username already registered' })
  async register(@Body() dto: RegisterUserDto): Promise<UserResponseDto> {
    return toUserResponse(await this.users.register(dto));
  }

  @Public()
  @RateLimit('login')
  @UseGuards(LocalAuthGuard)
  @Post('login')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary:
      'Sign in with username (or email) and password; starts a session (tokens in the body, or in cookie mode in cookies)',
  })
  @ApiBody({ type: LoginDto })
  @ApiHeader(TOKEN_DELIVERY_DOC)
  @ApiOkResponse({
    type: TokenResponseDto,
    description: 'Or, in cookie mode, CookieSessionResponseDto',
  })
  @ApiHeader({
    name: DEVICE_HEADER,
    required: false,
    description:
      'The device token from an earlier sign-in (the `__Secure-device-token` cookie): this client then has its own allowance of failed attempts',
  })
  @ApiUnauthorizedResponse({ description: 'Invalid username or password' })
  @ApiTooManyRequestsResponse({
    description: 'Too many attempts from this IP, or sign-ins locked for this client and account',
  })
  async login(
    @Req() request: FastifyRequest & { user: PasswordSignIn },
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TokenResponseDto | CookieSessionResponseDto> {
    const cookieMode = wantsCookieDelivery(request);
    const session = await this.auth.startSession(request.user.user, requestOrigin(request));
    setDeviceCookie(reply, request.user.deviceToken, DEVICE_TOKEN_TTL_SECONDS);
    return cookieMode ? this.inCookies(reply, session) : session.tokens;
  }

  @Public()
  @RateLimit('refresh')
  @Post('refresh')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary:
      'Exchange a refresh token for new tokens (the old refresh token is spent); in cookie mode the refresh-token cookie, with X-CSRF-Token',
  })
  @ApiHeader(TOKEN_DELIVERY_DOC)
  @ApiHeader(CSRF_DOC)
  @ApiOkResponse({
    type: TokenResponseDto,
    description: 'Or, in cookie mode, CookieSessionResponseDto',
  })
  @ApiUnauthorizedResponse({ description: 'Invalid, expired, revoked or reused refresh token' })
  @ApiForbiddenResponse({ description: 'Cookie mode: missing or invalid CSRF token' })
  async refresh(
    @Body() dto: RefreshTokenDto = {},
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TokenResponseDto | CookieSessionResponseDto> {
    if (wantsCookieDelivery(request)) {
      const session = await this.cookieSessions.refresh(request, requestOrigin(request));
      return this.inCookies(reply, session);
    }
    if (!dto?.refresh_token) throw refreshTokenRequired();
    return (await this.auth.refresh(dto.refresh_token, requestOrigin(request))).tokens;
  }

  @ApiBearerAuth()
  @Post('logout')
  @HttpCode(204)
  @ApiOperation({
    summary:
      'End the current session; its access and refresh tokens stop working (cookie mode: clears the cookies)',
  })
  @ApiHeader(TOKEN_DELIVERY_DOC)
  @ApiHeader(CSRF_DOC)
  @ApiNoContentResponse({ description: 'Signed out' })
  async logout(
    @CurrentPrincipal() principal: Principal,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Body() dto: LogoutDto = {},
  ): Promise<void> {
    const cookieMode = wantsCookieDelivery(request);
    await this.auth.logout(principal, dto?.refresh_token);
    if (cookieMode) clearSessionCookies(reply);
  }

  @ApiBearerAuth()
  @Post('logout-all')
  @HttpCode(204)
  @ApiOperation({ summary: 'End every session of the caller, on every device' })
  @ApiNoContentResponse({ description: 'Signed out everywhere' })
  async logoutAll(@CurrentPrincipal() principal: Principal): Promise<void> {
    await this.auth.logoutAll(principal);
  }

  @ApiBearerAuth()
  @AllowClientTokens()
  @Get('me')
  @ApiOperation({ summary: "The verified access token's claims (no database access)" })
  me(@CurrentPrincipal() principal: Principal): MeResponseDto {
    return toMeResponse(principal);
  }

  @ApiBearerAuth()
  @Get('sessions')
  @ApiOperation({ summary: "The caller's live sessions" })
  sessions(@CurrentPrincipal() principal: Principal): Promise<SessionResponseDto[]> {
    return this.auth.sessions(principal);
  }

  @ApiBearerAuth()
  @Delete('sessions/:id')
  @HttpCode(204)
  @ApiOperation({ summary: "Revoke one of the caller's sessions" })
  @ApiNoContentResponse({ description: 'Revoked' })
  @ApiNotFoundResponse({ description: 'No such session of the caller' })
  async revokeSession(
    @CurrentPrincipal() principal: Principal,
    @UuidParam('id') id: string,
  ): Promise<void> {
    await this.auth.revokeOwnSession(principal, id);
  }

  /** Cookie mode: the session's tokens go in cookies, the body says only when they expire. */
  private inCookies(reply: FastifyReply, session: IssuedSession): CookieSessionResponseDto {
    const { cookies, body } = this.cookieSessions.deliver(session);
    setSessionCookies(reply, cookies);
    return body;
  }
}
