import { ConflictException, Injectable, OnModuleInit } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { SecurityEventsService } from '../audit/security-events.service.js';
import { MailService } from '../mail/mail.service.js';
import { AccountEmailHooks } from '../users/account-email-hooks.js';
import type { User } from '../users/entities/user.entity.js';
import { UsersService } from '../users/users.service.js';
import { InvalidAccountTokenError } from './account-token.errors.js';
import { AccountTokensService } from './account-tokens.service.js';
import type { AccountToken } from './entities/account-token.entity.js';
import { MailLimits } from './mail-limits.js';

/** How long a verification or change-confirmation link works. */
export const CONFIRM_TTL_SECONDS = 24 * 3600;

/** The hosted page that every confirmation link opens (a verification or an e-mail change). */
export const CONFIRM_PAGE = '/account/verify-email';

/** What a confirmation link did. */
export type Confirmed = 'verified' | 'changed';

/**
 * Proving an address: the verification mail (on registration, on request,
 * and when a sign-in is refused for an unverified address) and the one
 * confirmation step, which accepts a verification token or an e-mail change
 * token (each only for its own purpose) and applies it.
 */
@Injectable()
export class EmailVerificationService implements OnModuleInit {
  constructor(
    private readonly tokens: AccountTokensService,
    private readonly mail: MailService,
    private readonly limits: MailLimits,
    private readonly users: UsersService,
    private readonly events: SecurityEventsService,
    private readonly hooks: AccountEmailHooks,
    private readonly dataSource: DataSource,
  ) {}

  onModuleInit(): void {
    this.hooks.attach({
      // Registrations are limited per IP (THROTTLE_REGISTER_IP); a new address has had no mail yet.
      userCreated: (user, manager) => this.send(user, manager),
      unverifiedSignIn: (user) => this.sendWithinLimit(user),
    });
  }

  /** POST /auth/email/verification: a new link for the caller; older ones stop working. */
  async resend(userId: string): Promise<void> {
    const user = await this.users.getById(userId);
    if (user.emailVerifiedAt) throw new ConflictException('The e-mail address is already verified');
    await this.sendWithinLimit(user);
  }

  /** Spends a verification or change token and applies it; `InvalidAccountTokenError` otherwise. */
  confirm(raw: string): Promise<Confirmed> {
    return this.dataSource.transaction(async (manager) => {
      const verification = await this.tokens.consume(raw, 'verify_email', manager);
      if (verification) return this.verify(verification, manager);
      const change = await this.tokens.consume(raw, 'change_email', manager);
      if (change) return this.change(change, manager);
      throw new InvalidAccountTokenError();
    });
  }

  private async sendWithinLimit(user: User): Promise<void> {
    if (!(await this.limits.allowAddress(user.email))) return;
    await this.dataSource.transaction((manager) => this.send(user, manager));
  }

  private async send(user: User, manager: EntityManager): Promise<void> {
    const token = await this.tokens.issue(
      user.id,
      'verify_email',
      CONFIRM_TTL_SECONDS,
      manager,
      user.email,
    );
    const data = {
      username: user.username,
      link: this.mail.link(CONFIRM_PAGE, { token }),
      expiresInMinutes: CONFIRM_TTL_SECONDS / 60,
    };
    await this.mail.queue(user.email, 'verify-email', data, manager);
    await this.events.record(
      { action: 'email.verification_sent', outcome: 'success', subject: userSubject(user.id) },
      manager,
    );
  }

  /** The token names the address it was sent to: it proves nothing once the user has left it. */
  private async verify(token: AccountToken, manager: EntityManager): Promise<Confirmed> {
    const verified = await this.users.markEmailVerified(token.userId, token.email ?? '', manager);
    if (!verified) throw new InvalidAccountTokenError();
    await this.events.record(
      { action: 'email.verified', outcome: 'success', subject: userSubject(token.userId) },
      manager,
    );
    return 'verified';
  }

  /** The new address takes effect, verified; the report link of the change stays usable. */
  private async change(token: AccountToken, manager: EntityManager): Promise<Confirmed> {
    if (!token.email) throw new InvalidAccountTokenError();
    await this.users.setEmail(token.userId, token.email, token.usedAt, manager);
    await this.tokens.voidAll(token.userId, 'verify_email', manager);
    await this.events.record(
      { action: 'email.changed', outcome: 'success', subject: userSubject(token.userId) },
      manager,
    );
    return 'changed';
  }
}

const userSubject = (id: string) => ({ type: 'user' as const, id });
