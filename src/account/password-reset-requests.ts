import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { SecurityEventsService } from '../audit/security-events.service.js';
import { KEY_ENCRYPTION_SECRET } from '../config/key-encryption-secret.js';
import { MailService } from '../mail/mail.service.js';
import type { OutboxHandler } from '../outbox/outbox-handler.js';
import { OutboxService } from '../outbox/outbox.service.js';
import { KeySealer } from '../tokens/key-sealer.js';
import type { User } from '../users/entities/user.entity.js';
import { UsersService } from '../users/users.service.js';
import { AccountTokensService } from './account-tokens.service.js';
import { MailLimits } from './mail-limits.js';

/** The outbox kind of a "forgot password" request, handled here. */
export const RESET_REQUEST_KIND = 'password_reset_request';

/** A reset link works for 30 minutes (OWASP's forgot-password guidance: short-lived). */
export const RESET_TOKEN_TTL_SECONDS = 30 * 60;

/** Where a reset link leads: the hosted page, which shows the new-password form. */
export const RESET_PAGE_PATH = '/account/reset-password';

/**
 * "Forgot password" requests. The request itself only writes one outbox
 * message holding the address, whether or not an account has it: the answer,
 * its time and its headers cannot differ. The outbox worker then looks the
 * address up and, for an active account within the per-address mail limit,
 * issues the reset token and queues the mail, in one transaction. The
 * address is sealed at rest (as queued mails are) and scrubbed once handled.
 */
@Injectable()
export class PasswordResetRequests implements OutboxHandler, OnModuleInit {
  readonly kind = RESET_REQUEST_KIND;
  readonly scrubDelivered = true;
  private readonly sealer: KeySealer;

  constructor(
    private readonly outbox: OutboxService,
    private readonly users: UsersService,
    private readonly tokens: AccountTokensService,
    private readonly mail: MailService,
    private readonly limits: MailLimits,
    private readonly events: SecurityEventsService,
    private readonly dataSource: DataSource,
    @Inject(KEY_ENCRYPTION_SECRET) keyEncryptionSecret: string,
  ) {
    this.sealer = new KeySealer(keyEncryptionSecret, 'reset-request-encryption');
  }

  onModuleInit(): void {
    this.outbox.register(this);
  }

  /** Queues the request (`email` normalised by the DTO). Nothing here depends on the account. */
  request(email: string): Promise<void> {
    const sealed = this.sealer.seal(Buffer.from(email, 'utf8'), this.kind);
    return this.outbox.enqueue(this.kind, { sealed });
  }

  /**
   * Runs in the worker. An unknown or disabled address ends here, unseen.
   * If this instance dies after the commit but before the message is marked
   * delivered, the retry issues a second token (voiding the first) and a
   * second mail: only the newest link then works.
   */
  async deliver(payload: Record<string, unknown>): Promise<void> {
    const email = this.addressIn(payload);
    const user = email ? await this.users.findActiveByEmail(email) : null;
    if (!user) return;
    if (!(await this.limits.allowAddress(email))) {
      await this.recordRequested(user, false);
      return;
    }
    await this.dataSource.transaction(async (manager) => {
      const ttl = RESET_TOKEN_TTL_SECONDS;
      const token = await this.tokens.issue(user.id, 'reset_password', ttl, manager);
      const link = this.mail.link(RESET_PAGE_PATH, { token });
      const data = { username: user.username, link, expiresInMinutes: ttl / 60 };
      await this.mail.queue(user.email, 'reset-password', data, manager);
      await this.recordRequested(user, true, manager);
    });
  }

  /** The sealed address; empty when the payload is malformed or was sealed under another secret. */
  private addressIn(payload: Record<string, unknown>): string {
    if (typeof payload.sealed !== 'string') return '';
    try {
      return this.sealer.open(payload.sealed, this.kind).toString('utf8');
    } catch {
      return '';
    }
  }

  private recordRequested(
    user: User,
    mailed: boolean,
    manager?: Parameters<SecurityEventsService['record']>[1],
  ): Promise<void> {
    return this.events.record(
      {
        action: 'password.reset_requested',
        outcome: mailed ? 'success' : 'failure',
        subject: { type: 'user', id: user.id },
        ...(mailed ? {} : { reason: 'address_mail_limit' }),
      },
      manager,
    );
  }
}
