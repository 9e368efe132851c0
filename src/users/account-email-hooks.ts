import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { User } from './entities/user.entity.js';

/** What the account e-mail flows do when the users module creates or refuses a user. */
export interface AccountEmailHandler {
  /** In the transaction that inserts the user: the verification mail commits with the account. */
  userCreated(user: User, manager: EntityManager): Promise<void>;
  /** A right password for an unverified address while verification is required: a fresh link. */
  unverifiedSignIn(user: User): Promise<void>;
}

/**
 * Where the account module (which builds on this one, so cannot be imported
 * by it) attaches its handler at start, as outbox handlers register with the
 * outbox. Every path that creates a user or checks a password goes through
 * this module, so none of them can skip the mail.
 */
@Injectable()
export class AccountEmailHooks {
  private handler: AccountEmailHandler | null = null;

  attach(handler: AccountEmailHandler): void {
    if (this.handler) throw new Error('an account e-mail handler is already attached');
    this.handler = handler;
  }

  async userCreated(user: User, manager: EntityManager): Promise<void> {
    await this.handler?.userCreated(user, manager);
  }

  async unverifiedSignIn(user: User): Promise<void> {
    await this.handler?.unverifiedSignIn(user);
  }
}
