import { Injectable } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { PRODUCT_NAME } from '../common/product.js';
import { assetHref } from './page-files.js';
import { setPageHeaders } from './page-policy.js';
import { describeScopes } from './scope-descriptions.js';

/**
 * The form fields the pages post, for the handlers that read them:
 * sign-in posts `username`, `password`, `csrf_token` and `auth_request`;
 * consent posts `decision` (`allow` | `deny`), `csrf_token` and `auth_request`.
 */
export const PAGE_FIELDS = {
  username: 'username',
  password: 'password',
  csrfToken: 'csrf_token',
  authRequest: 'auth_request',
  decision: 'decision',
} as const;

/** Why the sign-in form is shown again; each has one fixed message (nothing the caller words). */
export type SignInProblem = 'credentials' | 'throttled' | 'expired' | 'unverified';

interface PageForm {
  /** Where the form posts: a path on this server. */
  action: string;
  /** From `FormCsrf.tokenFor`. */
  csrfToken: string;
  /** The opaque reference to the pending authorization request. */
  authRequest: string;
  /** The app's redirect URI, where the form's answer may redirect (allowed by the page's CSP). */
  redirectUri?: string;
}

/** The account pages' forms: a CSRF token and where they post. */
interface AccountForm {
  action: string;
  csrfToken: string;
}

/** Where the sign-in page's "Forgot password?" link leads. */
export const FORGOT_PASSWORD_PATH = '/account/forgot-password';

export interface PageData {
  'sign-in': PageForm & { clientName?: string; loginHint?: string; problem?: SignInProblem };
  consent: PageForm & { clientName: string; scopes: readonly string[]; userName?: string };
  error: { title: string; message: string };
  'signed-out': Record<string, never>;
  'forgot-password': AccountForm & { email?: string; problem?: 'email' };
  'reset-requested': Record<string, never>;
  /** `problems`: why the new password was refused, in words (the policy's own messages). */
  'reset-password': AccountForm & { token: string; problems?: readonly string[] };
  'password-reset': Record<string, never>;
  /** A link from a mail: the GET shows this one-button form, and only its POST acts. */
  'account-action': {
    title: string;
    message: string;
    button: string;
    action: string;
    csrfToken: string;
    /** The link's token, carried by the form. */
    token: string;
  };
  'account-done': { title: string; message: string };
}

/** Pages whose data names their title. */
type TitledPage = 'error' | 'account-action' | 'account-done';

export type PageName = keyof PageData;

const TITLES: Record<Exclude<PageName, TitledPage>, string> = {
  'sign-in': 'Sign in',
  consent: 'Allow access',
  'signed-out': 'Signed out',
  'forgot-password': 'Reset your password',
  'reset-requested': 'Check your email',
  'reset-password': 'Choose a new password',
  'password-reset': 'Password changed',
};

/**
 * The server-rendered pages of browser sign-in. Controllers call `render`
 * and return; the page gets its own strict CSP (no script at all),
 * `no-store` and `no-referrer`. Every value is HTML-escaped by the templates.
 */
@Injectable()
export class HostedPages {
  private readonly assets = { stylesheet: assetHref('pages.css'), icon: assetHref('icon.svg') };

  async render<P extends PageName>(
    reply: FastifyReply,
    page: P,
    data: PageData[P],
    status = 200,
  ): Promise<void> {
    const redirectUri = 'redirectUri' in data ? data.redirectUri : undefined;
    const html = await reply.viewAsync(page, {
      ...data,
      ...this.extras(page, data),
      productName: PRODUCT_NAME,
      ...this.assets,
    });
    setPageHeaders(reply, redirectUri ? [redirectUri] : []);
    await reply.status(status).send(html);
  }

  private extras(page: PageName, data: PageData[PageName]): Record<string, unknown> {
    if ('title' in data) return { title: data.title };
    if (page === 'consent') {
      return {
        title: TITLES.consent,
        scopes: describeScopes((data as PageData['consent']).scopes),
      };
    }
    if (page === 'sign-in')
      return { title: TITLES[page], forgotPasswordHref: FORGOT_PASSWORD_PATH };
    return { title: TITLES[page as Exclude<PageName, TitledPage>] };
  }
}
