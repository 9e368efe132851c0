import { Injectable } from '@nestjs/common';
import { SecurityEventsService } from '../audit/security-events.service.js';
import { BearerChallengeException, ValidationFailedException } from '../common/errors.js';
import type { Principal } from '../common/principal.js';
import { TokenRevocationService } from '../tokens/token-revocation.service.js';
import { ChangePasswordDto } from './dto/change-password.dto.js';
import type { User } from './entities/user.entity.js';
import { InvalidCredentialsError, PasswordSignInService } from './password-sign-in.service.js';
import { UsersService } from './users.service.js';

export const SESSION_ENDED_BY_GUESSING =
  'Too many wrong passwords: this session has been signed out';

/** Account changes that must also end other sessions. */
@Injectable()
export class UserAccountService {
  constructor(
    private readonly users: UsersService,
    private readonly passwords: PasswordSignInService,
    private readonly revocation: TokenRevocationService,
    private readonly events: SecurityEventsService,
  ) {}

  /**
   * The current password is checked like a sign-in (same allowance, same
   * locks), so a stolen access token cannot be used to guess it. The
   * caller's own session stays signed in; every other one ends.
   */
  async changePassword(
    principal: Principal,
    dto: ChangePasswordDto,
    deviceTokens: readonly (string | undefined)[],
  ): Promise<void> {
    const user = await this.reauthenticate(principal, dto.currentPassword, deviceTokens);
    await this.users.setPassword(user, dto.currentPassword, dto.newPassword);
    const ended = await this.revocation.revokeOtherSessions(
      principal.subject,
      'password_change',
      principal.sessionId ?? undefined,
    );
    await this.events.record({
      action: 'user.password_changed',
      outcome: 'success',
      subject: { type: 'user', id: user.id },
      details: { otherSessionsEnded: ended },
    });
  }

  /**
   * The caller's current password, checked like a sign-in (same allowance,
   * same locks) before a sensitive change of their own account. A wrong one
   * is a 400 naming `field`, until the allowance is spent (see `refuse`).
   */
  async reauthenticate(
    principal: Principal,
    password: string,
    deviceTokens: readonly (string | undefined)[],
    field = 'currentPassword',
  ): Promise<User> {
    const { user } = await this.passwords
      .verify({
        account: { userId: principal.subject },
        password,
        deviceTokens,
        purpose: 'reauthentication',
      })
      .catch((error: unknown) => this.refuse(principal, error, field));
    return user;
  }

  /**
   * A wrong current password is a 400 naming the field, until the
   * allowance is spent: from then on each one ends the caller's session
   * (its refresh tokens and access tokens) and answers 401.
   */
  private async refuse(principal: Principal, error: unknown, field: string): Promise<never> {
    if (!(error instanceof InvalidCredentialsError)) throw error;
    if (error.allowanceSpent) {
      if (principal.sessionId)
        await this.revocation.revokeSession(principal.sessionId, 'password_guessing');
      await this.revocation.revokeAccessToken(principal);
      await this.events.record({
        action: 'session.revoked',
        outcome: 'success',
        subject: { type: 'session', id: principal.sessionId ?? principal.tokenId },
        reason: 'password_guessing',
        details: { userId: principal.subject },
      });
      throw new BearerChallengeException(SESSION_ENDED_BY_GUESSING, true);
    }
    throw new ValidationFailedException([{ field, messages: ['current password is incorrect'] }]);
  }
}
