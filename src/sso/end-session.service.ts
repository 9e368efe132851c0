import { Injectable } from '@nestjs/common';
import type { OAuthClient } from '../clients/entities/oauth-client.entity.js';
import { OAuthClientsService } from '../clients/oauth-clients.service.js';
import { IdTokensService, type IdTokenHint } from '../tokens/id-tokens.service.js';
import { redirectWith, UntrustedRedirectError } from './authorization-request.js';
import type { SsoSession } from './entities/sso-session.entity.js';
import { SsoSessionsService } from './sso-sessions.service.js';

export type EndSessionStep =
  { kind: 'redirect'; location: string } | { kind: 'signed-out'; client: OAuthClient | null };

const PARAMETERS = ['id_token_hint', 'client_id', 'post_logout_redirect_uri', 'state'] as const;
type EndSessionParameters = Partial<Record<(typeof PARAMETERS)[number], string>>;

/**
 * RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): ends the
 * browser's SSO session, and with it every session issued through it, then
 * returns to the app's registered `post_logout_redirect_uri` (exactly) or
 * shows the signed-out page. An unknown hint, client or redirect URI is
 * shown on our error page, never redirected to.
 */
@Injectable()
export class EndSessionService {
  constructor(
    private readonly clients: OAuthClientsService,
    private readonly idTokens: IdTokensService,
    private readonly ssoSessions: SsoSessionsService,
  ) {}

  async endSession(raw: Record<string, unknown>, ssoToken?: string): Promise<EndSessionStep> {
    const parameters = parse(raw);
    const hint = this.readHint(parameters.id_token_hint);
    if (hint && parameters.client_id && hint.clientId !== parameters.client_id) {
      throw new UntrustedRedirectError('client_id does not match the ID token.');
    }
    const clientId = parameters.client_id ?? hint?.clientId;
    const client = clientId ? await this.clients.findEnabled(clientId) : null;
    const target = parameters.post_logout_redirect_uri;
    if (target && !client?.postLogoutRedirectUris.includes(target)) {
      throw new UntrustedRedirectError(
        'The sign-out redirect URI is not registered for this application.',
      );
    }
    const session = await this.sessionToEnd(hint, await this.ssoSessions.find(ssoToken));
    if (session) await this.ssoSessions.end(session, 'logout');
    if (!target) return { kind: 'signed-out', client };
    const state: Record<string, string> =
      parameters.state !== undefined ? { state: parameters.state } : {};
    return { kind: 'redirect', location: redirectWith(target, state) };
  }

  private readHint(token: string | undefined): IdTokenHint | null {
    if (token === undefined) return null;
    const hint = this.idTokens.readHint(token);
    if (!hint) throw new UntrustedRedirectError('The ID token hint was not issued by this server.');
    return hint;
  }

  /** This browser's session, unless the hint names another user's: then the session the hint names. */
  private async sessionToEnd(
    hint: IdTokenHint | null,
    current: SsoSession | null,
  ): Promise<SsoSession | null> {
    if (!hint || current?.userId === hint.subject) return current;
    if (!hint.ssoSessionId) return null;
    const named = await this.ssoSessions.findById(hint.ssoSessionId);
    return named?.userId === hint.subject ? named : null;
  }
}

function parse(raw: Record<string, unknown>): EndSessionParameters {
  const parameters: EndSessionParameters = {};
  for (const name of PARAMETERS) {
    const value = raw[name];
    if (value === undefined) continue;
    if (typeof value !== 'string' || value.length > 8_000) {
      throw new UntrustedRedirectError(`${name} must be given once.`);
    }
    parameters[name] = value;
  }
  return parameters;
}
