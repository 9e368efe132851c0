import { Injectable } from '@nestjs/common';
import type { OAuthClient } from '../clients/entities/oauth-client.entity.js';
import { OAuthClientsService } from '../clients/oauth-clients.service.js';
import { Clock } from '../common/clock.js';
import type { RequestOrigin } from '../common/request-origin.js';
import type { Config } from '../config/config.js';
import { InjectConfig } from '../config/config.module.js';
import { TooManyAttemptsException } from '../rate-limit/login-attempts.service.js';
import {
  EmailNotVerifiedError,
  InvalidCredentialsError,
  PasswordSignInService,
} from '../users/password-sign-in.service.js';
import { AuthorizationCodesService } from './authorization-codes.service.js';
import {
  AuthorizationError,
  type AuthorizationRequest,
  errorLocation,
  parseAuthorizationRequest,
  redirectWith,
  targetOf,
  trustedClient,
  UntrustedRedirectError,
} from './authorization-request.js';
import { ConsentsService } from './consents.service.js';
import type {
  AuthorizationStep,
  SignInFailure,
  SignInForm,
  SignInResult,
} from './authorization-step.js';
import type { SsoSession } from './entities/sso-session.entity.js';
import { PendingRequests } from './pending-requests.js';
import { SsoSessionsService } from './sso-sessions.service.js';

const EXPIRED_FORM =
  'This page has expired or was not made by this server. Go back to the application and sign in again.';

/**
 * The authorization endpoint's decisions (OpenID Connect Core §3.1.2): check
 * the request, then sign-in (the form, or the SSO session), consent, and the
 * code for the client's redirect URI.
 */
@Injectable()
export class AuthorizationService {
  constructor(
    private readonly clients: OAuthClientsService,
    private readonly passwords: PasswordSignInService,
    private readonly ssoSessions: SsoSessionsService,
    private readonly consents: ConsentsService,
    private readonly codes: AuthorizationCodesService,
    private readonly pending: PendingRequests,
    private readonly clock: Clock,
    @InjectConfig() private readonly config: Config,
  ) {}

  /** `GET /oauth/authorize`. Throws `UntrustedRedirectError` for our error page. */
  async authorize(query: Record<string, unknown>, ssoToken?: string): Promise<AuthorizationStep> {
    const { clientId, redirectUri } = targetOf(query);
    const client = trustedClient(await this.clients.findEnabled(clientId), redirectUri);
    let request: AuthorizationRequest;
    try {
      request = parseAuthorizationRequest(query, client, redirectUri);
    } catch (error) {
      if (!(error instanceof AuthorizationError)) throw error;
      const state = typeof query.state === 'string' ? query.state : undefined;
      return this.errorRedirect(redirectUri, error, state);
    }
    const sso = await this.ssoSessions.find(ssoToken);
    return this.proceed(request, client, sso, { signedInNow: false });
  }

  /** The sign-in form's POST: the one password check, then the SSO session, then on. */
  async signIn(
    form: SignInForm,
    context: { origin: RequestOrigin; deviceTokens: readonly (string | undefined)[] },
    ssoToken?: string,
  ): Promise<SignInResult> {
    const { request, client } = await this.openPending(form.request, 'sign-in');
    const retry = (failure: SignInFailure) => ({
      step: this.signInStep(request, client, form.username, failure),
      ssoToken: null,
      deviceToken: null,
    });
    let signedIn;
    try {
      signedIn = await this.passwords.verify({
        account: { login: form.username },
        password: form.password,
        deviceTokens: context.deviceTokens,
        purpose: 'sign-in',
      });
    } catch (error) {
      if (error instanceof InvalidCredentialsError) return retry({ reason: 'invalid_credentials' });
      if (error instanceof EmailNotVerifiedError) return retry({ reason: 'email_not_verified' });
      if (error instanceof TooManyAttemptsException) {
        return retry({ reason: 'throttled', retryAfter: error.retryAfterSeconds });
      }
      throw error;
    }
    const current = await this.ssoSessions.find(ssoToken);
    const sso = await this.ssoSessions.signedIn(signedIn.user.id, current, context.origin);
    const step = await this.proceed(request, client, sso.session, { signedInNow: true });
    return { step, ssoToken: sso.token, deviceToken: signedIn.deviceToken };
  }

  /** The consent form's POST: Allow remembers the consent and goes on; Deny tells the client. */
  async decide(form: { request: unknown; allow: boolean }, ssoToken?: string) {
    const { request, client, wait } = await this.openPending(form.request, 'consent');
    const sso = await this.ssoSessions.find(ssoToken);
    if (!sso || wait.step !== 'consent' || wait.ssoSessionId !== sso.id) {
      throw new UntrustedRedirectError(EXPIRED_FORM);
    }
    if (!form.allow) {
      const denied = new AuthorizationError('access_denied', 'The user denied the request');
      return this.errorRedirect(request.redirectUri, denied, request.state);
    }
    await this.consents.grant(sso.userId, client.clientId, request.scope);
    return this.proceed(request, client, sso, { signedInNow: true, consented: true });
  }

  private async proceed(
    request: AuthorizationRequest,
    client: OAuthClient,
    sso: SsoSession | null,
    settled: { signedInNow: boolean; consented?: boolean },
  ): Promise<AuthorizationStep> {
    if (!sso || (!settled.signedInNow && this.needsPassword(request, sso))) {
      if (request.prompt === 'none') return this.refuse(request, 'login_required');
      return this.signInStep(request, client, request.loginHint);
    }
    if (!settled.consented && (await this.needsConsent(request, client, sso))) {
      if (request.prompt === 'none') return this.refuse(request, 'consent_required');
      const pending = this.pending.seal(request, { step: 'consent', ssoSessionId: sso.id });
      const scopes = request.scope.split(' ');
      return { kind: 'consent', client, redirectUri: request.redirectUri, pending, scopes };
    }
    const code = await this.codes.issue(request, sso);
    const location = redirectWith(request.redirectUri, {
      code,
      state: request.state,
      iss: this.config.auth.issuer,
    });
    return { kind: 'redirect', location };
  }

  /** `prompt=login`, or a sign-in older than `max_age`. */
  private needsPassword(request: AuthorizationRequest, sso: SsoSession): boolean {
    if (request.prompt === 'login') return true;
    if (request.maxAge === null) return false;
    return this.clock.now() - sso.authTime.getTime() > request.maxAge * 1000;
  }

  private async needsConsent(
    request: AuthorizationRequest,
    client: OAuthClient,
    sso: SsoSession,
  ): Promise<boolean> {
    if (client.firstParty) return false;
    if (request.prompt === 'consent') return true;
    return !(await this.consents.covers(sso.userId, client.clientId, request.scope));
  }

  private signInStep(
    request: AuthorizationRequest,
    client: OAuthClient,
    loginHint: string | null,
    failure?: SignInFailure,
  ): AuthorizationStep {
    const pending = this.pending.seal(request, { step: 'sign-in' });
    return {
      kind: 'sign-in',
      client,
      redirectUri: request.redirectUri,
      pending,
      loginHint,
      ...(failure ? { failure } : {}),
    };
  }

  /** A form's request, if we sealed it for `step` and its client still accepts it. */
  private async openPending(sealed: unknown, step: 'sign-in' | 'consent') {
    const opened = this.pending.open(sealed);
    if (!opened || opened.wait.step !== step) throw new UntrustedRedirectError(EXPIRED_FORM);
    const { request, wait } = opened;
    const client = trustedClient(
      await this.clients.findEnabled(request.clientId),
      request.redirectUri,
    );
    return { request, client, wait };
  }

  private refuse(request: AuthorizationRequest, error: 'login_required' | 'consent_required') {
    const description =
      error === 'login_required' ? 'The user is not signed in' : 'The user has not consented';
    const refusal = new AuthorizationError(error, description);
    return this.errorRedirect(request.redirectUri, refusal, request.state);
  }

  private errorRedirect(redirectUri: string, error: AuthorizationError, state?: string) {
    const location = errorLocation(redirectUri, error, state, this.config.auth.issuer);
    return { kind: 'redirect', location } as const;
  }
}
