import { Injectable } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { FormCsrf } from '../pages/form-csrf.js';
import { HostedPages, type SignInProblem } from '../pages/hosted-pages.js';
import { UntrustedRedirectError } from './authorization-request.js';
import type { AuthorizationStep, SignInFailure } from './authorization-step.js';
import type { EndSessionStep } from './end-session.service.js';

/** A form that is not what the page posts: shown on the error page. */
class MalformedFormError extends UntrustedRedirectError {
  constructor() {
    super('The form was incomplete or malformed. Go back to the application and try again.');
  }
}

/** The posted form, checked against its DTO; `MalformedFormError` otherwise. */
export function parseForm<T extends object>(type: new () => T, request: FastifyRequest): T {
  const body = request.body;
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new MalformedFormError();
  }
  const form = plainToInstance(type, body);
  if (validateSync(form, { whitelist: true, forbidNonWhitelisted: false }).length > 0) {
    throw new MalformedFormError();
  }
  return form;
}

const SIGN_IN_PROBLEMS: Record<SignInFailure['reason'], SignInProblem> = {
  invalid_credentials: 'credentials',
  throttled: 'throttled',
  email_not_verified: 'unverified',
};

const SIGN_IN_STATUS: Record<SignInFailure['reason'], number> = {
  invalid_credentials: 401,
  throttled: 429,
  email_not_verified: 403,
};

const FORM_ACTIONS = { signIn: '/auth/sign-in', consent: '/auth/consent' };

/**
 * The browser side of the code flow's steps, on the hosted pages: a posted
 * form must carry this browser's CSRF token before anything is done; a step
 * becomes a redirect or a page; a request that cannot be trusted (unknown
 * app, unregistered redirect URI, an expired or forged form) is shown on the
 * error page and never redirected.
 */
@Injectable()
export class HostedFlowPages {
  constructor(
    private readonly pages: HostedPages,
    private readonly csrf: FormCsrf,
  ) {}

  /** A hosted page's form: refused (403) unless it carries this browser's CSRF token. */
  async answerForm(
    request: FastifyRequest,
    reply: FastifyReply,
    produce: () => Promise<AuthorizationStep>,
  ): Promise<void> {
    if (!this.csrf.verify(request, csrfTokenOf(request))) {
      const message = 'The form could not be verified. Go back to the application and try again.';
      return this.pages.render(reply, 'error', { title: 'Request refused', message }, 403);
    }
    return this.answer(request, reply, produce);
  }

  async answer(
    request: FastifyRequest,
    reply: FastifyReply,
    produce: () => Promise<AuthorizationStep | EndSessionStep>,
  ): Promise<void> {
    let step: AuthorizationStep | EndSessionStep;
    try {
      step = await produce();
    } catch (error) {
      if (!(error instanceof UntrustedRedirectError)) throw error;
      const title = 'Sign-in cannot continue';
      return this.pages.render(reply, 'error', { title, message: error.message }, 400);
    }
    return this.show(request, reply, step);
  }

  private async show(
    request: FastifyRequest,
    reply: FastifyReply,
    step: AuthorizationStep | EndSessionStep,
  ): Promise<void> {
    if (step.kind === 'redirect') {
      // 303 after a form's POST: the browser follows with a GET.
      const status = request.method === 'POST' ? 303 : 302;
      return void (await reply.header('cache-control', 'no-store').redirect(step.location, status));
    }
    if (step.kind === 'signed-out') return this.pages.render(reply, 'signed-out', {});
    const form = {
      csrfToken: this.csrf.tokenFor(request, reply),
      authRequest: step.pending,
      redirectUri: step.redirectUri,
      clientName: step.client.name,
    };
    if (step.kind === 'consent') {
      const data = { ...form, action: FORM_ACTIONS.consent, scopes: step.scopes };
      return this.pages.render(reply, 'consent', data);
    }
    const failure = step.failure;
    const problem = failure ? SIGN_IN_PROBLEMS[failure.reason] : undefined;
    if (failure?.reason === 'throttled')
      void reply.header('retry-after', String(failure.retryAfter));
    const status = failure ? SIGN_IN_STATUS[failure.reason] : 200;
    const data = {
      ...form,
      action: FORM_ACTIONS.signIn,
      ...(step.loginHint ? { loginHint: step.loginHint } : {}),
      ...(problem ? { problem } : {}),
    };
    return this.pages.render(reply, 'sign-in', data, status);
  }
}

function csrfTokenOf(request: FastifyRequest): unknown {
  const body = request.body as Record<string, unknown> | null | undefined;
  return body && typeof body === 'object' ? body.csrf_token : undefined;
}
