import { BadRequestException, Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { SecurityEventsService } from '../audit/security-events.service.js';
import { Clock } from '../common/clock.js';
import { MailService } from '../mail/mail.service.js';
import { SsoSessionsService } from '../sso/sso-sessions.service.js';
import { TokenRevocationService } from '../tokens/token-revocation.service.js';
import type { User } from '../users/entities/user.entity.js';
import { PasswordSignInService } from '../users/password-sign-in.service.js';
import { UsersService } from '../users/users.service.js';
import { AccountTokensService } from './account-tokens.service.js';

/** One answer for an unknown, forged, spent, voided or expired reset token. */
export class InvalidResetTokenException extends BadRequestException {
  constructor() {
    super('This reset link is invalid, has expired or was already used; ask for a new one');
  }
}

/**
 * Setting a new password with a reset token. The token is spent, the
 * password stored, the notice queued and the event recorded in one
 * transaction: a refused password (policy) rolls it all back and leaves the
 * token usable. Of concurrent resets with one token, the first UPDATE holds
 * the row and the others find it spent. Then every way in that the old
 * password gave ends: refresh sessions and access tokens, SSO sessions, and
 * the sign-in lock is lifted.
 */
@Injectable()
export class PasswordResetService {
  constructor(
    private readonly tokens: AccountTokensService,
    private readonly users: UsersService,
    private readonly passwords: PasswordSignInService,
    private readonly mail: MailService,
    private readonly revocation: TokenRevocationService,
    private readonly ssoSessions: SsoSessionsService,
    private readonly events: SecurityEventsService,
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
  ) {}

  async reset(token: string, password: string): Promise<void> {
    const user = await this.dataSource.transaction((manager) =>
      this.setPassword(token, password, manager),
    );
    // After the commit: these write to the blocklist (Redis) as well as the database.
    await this.revocation.revokeUser(user.id, 'password_reset', true);
    await this.ssoSessions.endAllForUser(user.id);
    await this.passwords.unlock(user.id);
  }

  private async setPassword(token: string, password: string, manager: EntityManager) {
    const spent = await this.tokens.consume(token, 'reset_password', manager);
    if (!spent) throw new InvalidResetTokenException();
    const now = new Date(this.clock.now());
    const user = await this.users.resetPassword(spent.userId, password, now, manager);
    if (!user) throw new InvalidResetTokenException();
    const notice = { username: user.username, when: now.toISOString() };
    await this.mail.queue(user.email, 'password-changed', notice, manager);
    await this.recordReset(user, manager);
    return user;
  }

  private recordReset(user: User, manager: EntityManager): Promise<void> {
    return this.events.record(
      {
        action: 'password.reset',
        outcome: 'success',
        subject: { type: 'user', id: user.id },
        details: { emailVerified: true },
      },
      manager,
    );
  }
}
