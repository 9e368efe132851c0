import { Controller, Get, Header, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../common/decorators/public.decorator.js';
import { presentedDeviceTokens, setDeviceCookie } from '../common/device-cookie.js';
import { requestOrigin } from '../common/request-origin.js';
import type { Config } from '../config/config.js';
import { InjectConfig } from '../config/config.module.js';
import { RateLimit } from '../rate-limit/rate-limit.decorator.js';
import { DEVICE_TOKEN_TTL_SECONDS } from '../tokens/device-tokens.service.js';
import { AuthorizationService } from './authorization.service.js';
import type { AuthorizationStep } from './authorization-step.js';
import { ConsentFormDto, SignInFormDto } from './dto/hosted-forms.dto.js';
import { HostedFlowPages, parseForm } from './hosted-flow-pages.js';
import { readSsoCookie, setSsoCookie } from './sso-cookie.js';

const FORM = 'application/x-www-form-urlencoded';

/**
 * The authorization endpoint and the forms it shows (HTML for browsers):
 * `GET /oauth/authorize`, the sign-in form's POST (under `/auth`, where the
 * browser's device-token cookie is sent) and the consent form's POST. Public:
 * the user is who signs in here; every form carries a CSRF token.
 */
@ApiTags('oauth2')
@Public()
@Controller()
export class AuthorizeController {
  constructor(
    private readonly authorization: AuthorizationService,
    private readonly pages: HostedFlowPages,
    @InjectConfig() private readonly config: Config,
  ) {}

  @Get('oauth/authorize')
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary:
      'OpenID Connect authorization endpoint (code flow, PKCE S256): the sign-in or consent page, or a redirect to the app',
  })
  @ApiProduces('text/html')
  async authorize(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    await this.pages.answer(request, reply, () =>
      this.authorization.authorize(
        request.query as Record<string, unknown>,
        readSsoCookie(request),
      ),
    );
  }

  @Post('auth/sign-in')
  @HttpCode(200)
  @RateLimit('login')
  @ApiOperation({
    summary:
      "The hosted sign-in page's form: checks the password, starts the SSO session, continues the authorization",
  })
  @ApiConsumes(FORM)
  @ApiBody({ type: SignInFormDto })
  @ApiProduces('text/html')
  async signIn(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    await this.pages.answerForm(request, reply, async (): Promise<AuthorizationStep> => {
      const form = parseForm(SignInFormDto, request);
      const result = await this.authorization.signIn(
        { request: form.auth_request, username: form.username, password: form.password },
        { origin: requestOrigin(request), deviceTokens: presentedDeviceTokens(request) },
        readSsoCookie(request),
      );
      if (result.ssoToken) setSsoCookie(reply, result.ssoToken, this.config.auth.ssoSessionTtl);
      if (result.deviceToken) setDeviceCookie(reply, result.deviceToken, DEVICE_TOKEN_TTL_SECONDS);
      return result.step;
    });
  }

  @Post('auth/consent')
  @HttpCode(200)
  @ApiOperation({ summary: "The consent page's form: Allow (remembered) or Deny" })
  @ApiConsumes(FORM)
  @ApiBody({ type: ConsentFormDto })
  @ApiProduces('text/html')
  async consent(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    await this.pages.answerForm(request, reply, () => {
      const form = parseForm(ConsentFormDto, request);
      return this.authorization.decide(
        { request: form.auth_request, allow: form.decision === 'allow' },
        readSsoCookie(request),
      );
    });
  }
}
