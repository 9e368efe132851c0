import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { SecurityEventsService } from '../audit/security-events.service.js';
import { ValidationFailedException } from '../common/errors.js';
import type { Principal } from '../common/principal.js';
import { MailService } from '../mail/mail.service.js';
import type { User } from '../users/entities/user.entity.js';
import { UserAccountService } from '../users/user-account.service.js';
import { UsersService } from '../users/users.service.js';
import { InvalidAccountTokenError } from './account-token.errors.js';
import { AccountTokensService } from './account-tokens.service.js';
import { CONFIRM_PAGE, CONFIRM_TTL_SECONDS } from './email-verification.service.js';
import { MailLimits } from './mail-limits.js';

/** How long the old address can report a change it did not ask for. */
export const REPORT_TTL_SECONDS = 7 * 24 * 3600;

export const REPORT_PAGE = '/account/report-email-change';

/**
 * Changing the address: the current password first (counted like a
 * sign-in), then a confirmation link to the new address and a notice with a
 * report link to the old one. The change takes effect only when confirmed
 * (`EmailVerificationService.confirm`). Whether the new address already has
 * an account never shows in the answer: its owner gets an `email-in-use` mail
 * instead of a link.
 */
@Injectable()
export class EmailChangeService {
  constructor(
    private readonly account: UserAccountService,
    private readonly users: UsersService,
    private readonly tokens: AccountTokensService,
    private readonly mail: MailService,
    private readonly limits: MailLimits,
    private readonly events: SecurityEventsService,
    private readonly dataSource: DataSource,
  ) {}

  async request(
    principal: Principal,
    dto: { email: string; password: string },
    deviceTokens: readonly (string | undefined)[],
  ): Promise<void> {
    const user = await this.account.reauthenticate(
      principal,
      dto.password,
      deviceTokens,
      'password',
    );
    if (dto.email === user.email) {
      throw new ValidationFailedException([
        { field: 'email', messages: ['email is already the address of this account'] },
      ]);
    }
    if (!(await this.limits.allowAddress(dto.email))) return;
    const taken = await this.users.emailTaken(dto.email);
    await this.dataSource.transaction((manager) =>
      taken ? this.refuseTaken(user, dto.email, manager) : this.offer(user, dto.email, manager),
    );
  }

  /** The old address's report link: cancels a pending change, and raises the alarm either way. */
  async report(raw: string): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const token = await this.tokens.consume(raw, 'report_email_change', manager);
      if (!token) throw new InvalidAccountTokenError();
      const cancelled = await this.tokens.voidAll(token.userId, 'change_email', manager);
      await this.events.record(
        {
          action: 'email.change_reported',
          outcome: 'success',
          subject: { type: 'user', id: token.userId },
          details: { pendingChangeCancelled: cancelled > 0 },
        },
        manager,
      );
    });
  }

  private async offer(user: User, email: string, manager: EntityManager): Promise<void> {
    const confirm = await this.tokens.issue(
      user.id,
      'change_email',
      CONFIRM_TTL_SECONDS,
      manager,
      email,
    );
    const report = await this.tokens.issue(
      user.id,
      'report_email_change',
      REPORT_TTL_SECONDS,
      manager,
    );
    await this.mail.queue(
      email,
      'confirm-email-change',
      {
        username: user.username,
        newEmail: email,
        link: this.mail.link(CONFIRM_PAGE, { token: confirm }),
        expiresInMinutes: CONFIRM_TTL_SECONDS / 60,
      },
      manager,
    );
    await this.mail.queue(
      user.email,
      'email-change-notice',
      {
        username: user.username,
        newEmail: email,
        reportLink: this.mail.link(REPORT_PAGE, { token: report }),
      },
      manager,
    );
    await this.recordRequest(user, manager);
  }

  /** No token: a confirmation could only fail. The address's owner learns someone tried. */
  private async refuseTaken(user: User, email: string, manager: EntityManager): Promise<void> {
    await this.mail.queue(email, 'email-in-use', {}, manager);
    await this.recordRequest(user, manager, 'address_in_use');
  }

  private recordRequest(user: User, manager: EntityManager, refusedFor?: string): Promise<void> {
    return this.events.record(
      {
        action: 'email.change_requested',
        outcome: refusedFor ? 'failure' : 'success',
        subject: { type: 'user', id: user.id },
        ...(refusedFor ? { reason: refusedFor } : {}),
      },
      manager,
    );
  }
}
