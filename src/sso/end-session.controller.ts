import { Controller, Get, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiConsumes, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../common/decorators/public.decorator.js';
import { EndSessionService } from './end-session.service.js';
import { HostedFlowPages } from './hosted-flow-pages.js';
import { clearSsoCookie, readSsoCookie } from './sso-cookie.js';

/** RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): by GET or a form POST. */
@ApiTags('oauth2')
@Public()
@Controller('oauth/end-session')
export class EndSessionController {
  constructor(
    private readonly endSessions: EndSessionService,
    private readonly pages: HostedFlowPages,
  ) {}

  @Get()
  @ApiOperation({
    summary:
      'End the browser sign-in (SSO session) and the sessions issued through it; back to the app or the signed-out page',
  })
  @ApiProduces('text/html')
  async endByGet(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    await this.end(request.query as Record<string, unknown>, request, reply);
  }

  @Post()
  @HttpCode(200)
  @ApiOperation({ summary: 'The same as GET /oauth/end-session, with form parameters' })
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiProduces('text/html')
  async endByPost(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const body = request.body;
    const parameters = body && typeof body === 'object' ? (body as Record<string, unknown>) : {};
    await this.end(parameters, request, reply);
  }

  private async end(
    parameters: Record<string, unknown>,
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<void> {
    await this.pages.answer(request, reply, async () => {
      const step = await this.endSessions.endSession(parameters, readSsoCookie(request));
      clearSsoCookie(reply);
      return step;
    });
  }
}
