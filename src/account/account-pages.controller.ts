import { ConflictException, Controller, Get, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isOpaqueToken } from '../common/opaque-token.js';
import { Public } from '../common/decorators/public.decorator.js';
import { FormCsrf } from '../pages/form-csrf.js';
import { HostedPages, type PageData } from '../pages/hosted-pages.js';
import { InvalidAccountTokenError } from './account-token.errors.js';
import { AccountPageFormDto } from './dto/account-page-form.dto.js';
import { EmailChangeService, REPORT_PAGE } from './email-change.service.js';
import { CONFIRM_PAGE, EmailVerificationService } from './email-verification.service.js';

const FORM = 'application/x-www-form-urlencoded';

/** A token as links carry it; anything else is not worth a form. */

type Action = Omit<PageData['account-action'], 'action' | 'csrfToken' | 'token'>;

const CONFIRM: Action = {
  title: 'Confirm your e-mail address',
  message: 'Confirm that this address belongs to your account.',
  button: 'Confirm my address',
};

const REPORT: Action = {
  title: 'Report an e-mail change',
  message:
    'If you did not ask to change the e-mail address of your account, report it: a pending change is cancelled and the administrators are alerted. Then change your password.',
  button: 'I did not ask for this',
};

const DONE = {
  verified: {
    title: 'Address verified',
    message: 'Your e-mail address is verified. You can close this window.',
  },
  changed: {
    title: 'Address changed',
    message: 'Your account now uses its new e-mail address. You can close this window.',
  },
  reported: {
    title: 'Change reported',
    message:
      'Thank you. Any pending change of your address is cancelled. Please change your password now.',
  },
};

/**
 * The pages that links in mails open. A GET changes nothing (mail scanners
 * fetch links): it shows one button, whose POST carries the browser's CSRF
 * token and does the work through the same services as the API.
 */
@ApiTags('account')
@Public()
@Controller()
export class AccountPagesController {
  constructor(
    private readonly pages: HostedPages,
    private readonly csrf: FormCsrf,
    private readonly verification: EmailVerificationService,
    private readonly change: EmailChangeService,
  ) {}

  @Get(CONFIRM_PAGE.slice(1))
  @ApiOperation({ summary: 'The page a verification or change-confirmation link opens' })
  @ApiProduces('text/html')
  async confirmPage(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    await this.showForm(request, reply, CONFIRM, CONFIRM_PAGE);
  }

  @Post(CONFIRM_PAGE.slice(1))
  @HttpCode(200)
  @ApiOperation({ summary: "The confirmation page's form" })
  @ApiConsumes(FORM)
  @ApiBody({ type: AccountPageFormDto })
  @ApiProduces('text/html')
  async confirm(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    await this.answerForm(
      request,
      reply,
      async (token) => DONE[await this.verification.confirm(token)],
    );
  }

  @Get(REPORT_PAGE.slice(1))
  @ApiOperation({ summary: 'The page the report link of an e-mail change notice opens' })
  @ApiProduces('text/html')
  async reportPage(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    await this.showForm(request, reply, REPORT, REPORT_PAGE);
  }

  @Post(REPORT_PAGE.slice(1))
  @HttpCode(200)
  @ApiOperation({ summary: "The report page's form" })
  @ApiConsumes(FORM)
  @ApiBody({ type: AccountPageFormDto })
  @ApiProduces('text/html')
  async report(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    await this.answerForm(request, reply, async (token) => {
      await this.change.report(token);
      return DONE.reported;
    });
  }

  private async showForm(
    request: FastifyRequest,
    reply: FastifyReply,
    page: Action,
    action: string,
  ): Promise<void> {
    const token = (request.query as Record<string, unknown>).token;
    if (typeof token !== 'string' || !isOpaqueToken(token)) return this.invalidLink(reply);
    const csrfToken = this.csrf.tokenFor(request, reply);
    return this.pages.render(reply, 'account-action', { ...page, action, csrfToken, token });
  }

  /** Refused (403) without this browser's CSRF token; the outcome, or why not, as a page. */
  private async answerForm(
    request: FastifyRequest,
    reply: FastifyReply,
    act: (token: string) => Promise<PageData['account-done']>,
  ): Promise<void> {
    const form = readForm(request);
    if (!form || !this.csrf.verify(request, form.csrf_token)) {
      const message = 'The form could not be verified. Open the link from the mail again.';
      return this.pages.render(reply, 'error', { title: 'Request refused', message }, 403);
    }
    try {
      return await this.pages.render(reply, 'account-done', await act(form.token));
    } catch (error) {
      if (error instanceof InvalidAccountTokenError) return this.invalidLink(reply);
      if (!(error instanceof ConflictException)) throw error;
      const message = 'Another account uses this address now, so it cannot become yours.';
      return this.pages.render(reply, 'error', { title: 'Address taken', message }, 409);
    }
  }

  private invalidLink(reply: FastifyReply): Promise<void> {
    const message = new InvalidAccountTokenError().message;
    return this.pages.render(reply, 'error', { title: 'Link not valid', message }, 400);
  }
}

function readForm(request: FastifyRequest): AccountPageFormDto | null {
  const body = request.body as Record<string, unknown> | null | undefined;
  if (!body || typeof body !== 'object') return null;
  const { csrf_token: csrf, token } = body;
  if (typeof csrf !== 'string' || typeof token !== 'string' || token.length > 128) return null;
  return { csrf_token: csrf, token };
}
