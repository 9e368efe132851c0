import { Controller, Get, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../common/decorators/public.decorator.js';
import { ValidationFailedException } from '../common/errors.js';
import type { FieldError } from '../common/problem.js';
import { fieldErrors } from '../common/validation/field-errors.js';
import { FormCsrf } from '../pages/form-csrf.js';
import { FORGOT_PASSWORD_PATH, HostedPages } from '../pages/hosted-pages.js';
import { ForgotPasswordFormDto, ResetPasswordFormDto } from './dto/password-reset.dto.js';
import { MailIpLimit } from './mail-limits.js';
import { PasswordResetRequests, RESET_PAGE_PATH } from './password-reset-requests.js';
import { InvalidResetTokenException, PasswordResetService } from './password-reset.service.js';

const FORM = 'application/x-www-form-urlencoded';
const BAD_LINK = {
  title: 'This link does not work',
  message:
    'The reset link is incomplete, has expired or was already used. Ask for a new one on the "Forgot password?" page.',
};

/**
 * The hosted forgot-password and reset-password pages. A GET only shows a
 * form (mail scanners open links); each POST must carry this browser's CSRF
 * token, then does what the API routes do, through the same services.
 */
@ApiTags('account')
@Public()
@Controller('account')
export class PasswordResetPagesController {
  constructor(
    private readonly pages: HostedPages,
    private readonly csrf: FormCsrf,
    private readonly requests: PasswordResetRequests,
    private readonly resets: PasswordResetService,
  ) {}

  @Get('forgot-password')
  @ApiOperation({ summary: 'The hosted page that asks for a password reset link' })
  @ApiProduces('text/html')
  async forgotForm(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    await this.showForgotForm(request, reply);
  }

  @Post('forgot-password')
  @HttpCode(200)
  @MailIpLimit()
  @ApiOperation({ summary: "The forgot-password page's form: the same answer for every address" })
  @ApiConsumes(FORM)
  @ApiBody({ type: ForgotPasswordFormDto })
  @ApiProduces('text/html')
  async forgot(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    if (!this.csrf.verify(request, csrfTokenOf(request))) return this.refuse(reply);
    const { form, errors } = readForm(ForgotPasswordFormDto, request.body);
    if (errors.length > 0) {
      const email = typeof form.email === 'string' ? form.email.slice(0, 254) : undefined;
      return this.showForgotForm(request, reply, email, 400);
    }
    await this.requests.request(form.email);
    await this.pages.render(reply, 'reset-requested', {});
  }

  @Get('reset-password')
  @ApiOperation({ summary: "A reset link's page: the new-password form (nothing changes on GET)" })
  @ApiProduces('text/html')
  async resetForm(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const token = (request.query as Record<string, unknown>).token;
    if (typeof token !== 'string' || token.length === 0 || token.length > 128) {
      return this.pages.render(reply, 'error', BAD_LINK, 400);
    }
    await this.showResetForm(request, reply, token);
  }

  @Post('reset-password')
  @HttpCode(200)
  @ApiOperation({ summary: "The reset-password page's form: sets the new password" })
  @ApiConsumes(FORM)
  @ApiBody({ type: ResetPasswordFormDto })
  @ApiProduces('text/html')
  async reset(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    if (!this.csrf.verify(request, csrfTokenOf(request))) return this.refuse(reply);
    const { form, errors } = readForm(ResetPasswordFormDto, request.body);
    if (errors.some((error) => error.field !== 'password') || typeof form.token !== 'string') {
      return this.pages.render(reply, 'error', BAD_LINK, 400);
    }
    if (errors.length > 0) return this.showResetForm(request, reply, form.token, errors, 400);
    try {
      await this.resets.reset(form.token, form.password);
    } catch (error) {
      if (error instanceof InvalidResetTokenException) {
        return this.pages.render(reply, 'error', BAD_LINK, 400);
      }
      if (!(error instanceof ValidationFailedException)) throw error;
      return this.showResetForm(request, reply, form.token, error.fieldErrors, 400);
    }
    await this.pages.render(reply, 'password-reset', {});
  }

  private showForgotForm(
    request: FastifyRequest,
    reply: FastifyReply,
    email?: string,
    status = 200,
  ): Promise<void> {
    const csrfToken = this.csrf.tokenFor(request, reply);
    const problem = status === 200 ? {} : { problem: 'email' as const, email };
    const data = { action: FORGOT_PASSWORD_PATH, csrfToken, ...problem };
    return this.pages.render(reply, 'forgot-password', data, status);
  }

  private showResetForm(
    request: FastifyRequest,
    reply: FastifyReply,
    token: string,
    errors: FieldError[] = [],
    status = 200,
  ): Promise<void> {
    const csrfToken = this.csrf.tokenFor(request, reply);
    const problems = errors.flatMap((error) => error.messages);
    const data = { action: RESET_PAGE_PATH, csrfToken, token, problems };
    return this.pages.render(reply, 'reset-password', data, status);
  }

  private refuse(reply: FastifyReply): Promise<void> {
    const message = 'The form could not be verified. Reload the page and try again.';
    return this.pages.render(reply, 'error', { title: 'Request refused', message }, 403);
  }
}

/** The posted form, transformed as the API's DTOs are, with what failed validation. */
function readForm<T extends object>(
  type: new () => T,
  body: unknown,
): { form: T; errors: FieldError[] } {
  const plain = body !== null && typeof body === 'object' && !Array.isArray(body) ? body : {};
  const form = plainToInstance(type, plain);
  const errors = fieldErrors(validateSync(form, { whitelist: true, forbidNonWhitelisted: false }));
  return { form, errors };
}

function csrfTokenOf(request: FastifyRequest): unknown {
  const body = request.body as Record<string, unknown> | null | undefined;
  return body && typeof body === 'object' ? body.csrf_token : undefined;
}
