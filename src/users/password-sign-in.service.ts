import { Injectable } from '@nestjs/common';
import { SecurityEventsService } from '../audit/security-events.service.js';
import { BearerChallengeException, TypedProblemException } from '../common/errors.js';
import type { Config } from '../config/config.js';
import { InjectConfig } from '../config/config.module.js';
import { MetricsService } from '../metrics/metrics.service.js';
import {
  AttemptReservation,
  LoginAttemptsService,
  TooManyAttemptsException,
} from '../rate-limit/login-attempts.service.js';
import { DeviceTokensService } from '../tokens/device-tokens.service.js';
import { AccountEmailHooks } from './account-email-hooks.js';
import type { User } from './entities/user.entity.js';
import { PasswordHasher } from './password-hasher.service.js';
import { UsersRepository } from './users.repository.js';

/** Whose password: a login name as typed (username or email, any case), or a signed-in user's id. */
export type PasswordAccount = { login: string } | { userId: string };

export interface PasswordAttempt {
  account: PasswordAccount;
  password: string;
  /** The device tokens the client presented (header, cookie); missing ones are `undefined`. */
  deviceTokens: readonly (string | undefined)[];
  /** A sign-in is recorded (last login, hash upgrade); re-entering the current password is not. */
  purpose: 'sign-in' | 'reauthentication';
}

export interface PasswordSignIn {
  user: User;
  /** A new device token for the client: it is known to this account from now on. */
  deviceToken: string;
}

export const INVALID_CREDENTIALS = 'Invalid username or password';

/** Unknown user, wrong password or disabled account: one answer for all three. */
export class InvalidCredentialsError extends BearerChallengeException {
  /** @param allowanceSpent the failure used up the client's allowance (a lock is on or coming). */
  constructor(readonly allowanceSpent = false) {
    super(INVALID_CREDENTIALS, false);
  }
}

export const EMAIL_NOT_VERIFIED =
  'This account must verify its e-mail address before signing in. We have sent a new verification link: open it, then sign in again.';

/**
 * REQUIRE_EMAIL_VERIFICATION: the password was right, but the address is not
 * verified yet. Only ever thrown after the password checked out, so it tells
 * a guesser nothing the right password would not.
 */
export class EmailNotVerifiedError extends TypedProblemException {
  constructor() {
    super('email_not_verified', EMAIL_NOT_VERIFIED, 403);
  }
}

/**
 * The one check of a password, wherever one is entered: REST login, the
 * OAuth2 password grant, the current password of a password change.
 */
@Injectable()
export class PasswordSignInService {
  constructor(
    private readonly users: UsersRepository,
    private readonly hasher: PasswordHasher,
    private readonly attempts: LoginAttemptsService,
    private readonly deviceTokens: DeviceTokensService,
    private readonly metrics: MetricsService,
    private readonly events: SecurityEventsService,
    private readonly hooks: AccountEmailHooks,
    @InjectConfig() private readonly config: Config,
  ) {}

  /**
   * Finds the account (one query, with its hash), counts the attempt before
   * checking anything (429 once the client's allowance is spent), verifies
   * the password (against a dummy hash when there is no account, so that an
   * unknown name costs the same), then gives a success its attempt back and a
   * new device token. Every failure throws the same `InvalidCredentialsError`.
   */
  async verify(attempt: PasswordAttempt): Promise<PasswordSignIn> {
    const user = await this.findAccount(attempt.account);
    const deviceId = user ? this.deviceTokens.deviceOf(attempt.deviceTokens, user.id) : null;
    const account = user ? userAccount(user.id) : `name:${accountName(attempt.account)}`;
    const reservation = await this.attempts
      .reserve(account, deviceId)
      .catch((error: unknown) => this.refusedByLock(error, attempt, user, deviceId !== null));
    const result = await this.hasher.verify(user?.passwordHash, attempt.password);
    if (!user || !result.valid || user.disabled) {
      const reason = !user ? 'unknown_user' : !result.valid ? 'wrong_password' : 'disabled';
      throw await this.failure(attempt, user, reason, reservation, deviceId !== null);
    }
    await this.attempts.release(reservation);
    if (attempt.purpose === 'sign-in' && this.mustVerifyFirst(user)) {
      throw await this.unverified(attempt, user);
    }
    if (attempt.purpose === 'sign-in') {
      const upgraded = result.needsRehash ? await this.hasher.hash(attempt.password) : undefined;
      await this.users.recordLogin(user.id, upgraded);
    }
    delete user.passwordHash;
    return { user, deviceToken: this.deviceTokens.issue(user.id) };
  }

  /**
   * Lifts the account's sign-in lock for clients without a device token
   * (after a password reset: the guesses were at a password that is gone).
   */
  unlock(userId: string): Promise<void> {
    return this.attempts.unlockAccount(userAccount(userId));
  }

  private findAccount(account: PasswordAccount): Promise<User | null> {
    if ('userId' in account) return this.users.findWithPassword({ id: account.userId });
    const login = accountName(account);
    // PostgreSQL text cannot hold U+0000: such a name matches no one, and must not reach the driver.
    return login.includes('\u0000')
      ? Promise.resolve(null)
      : this.users.findWithPassword({ login });
  }

  private async failure(
    attempt: PasswordAttempt,
    user: User | null,
    reason: 'unknown_user' | 'wrong_password' | 'disabled',
    reservation: AttemptReservation,
    knownDevice: boolean,
  ): Promise<InvalidCredentialsError> {
    const signIn = attempt.purpose === 'sign-in';
    if (signIn) this.metrics.signIns.inc({ result: reason });
    await this.recordFailure(attempt, user, reason, {
      knownDevice,
      allowanceSpent: reservation.allowanceSpent,
    });
    return new InvalidCredentialsError(reservation.allowanceSpent);
  }

  private mustVerifyFirst(user: User): boolean {
    return this.config.account.requireEmailVerification && user.emailVerifiedAt === null;
  }

  /** Refused for an unverified address: reported, and a fresh link mailed so the user can go on. */
  private async unverified(attempt: PasswordAttempt, user: User): Promise<EmailNotVerifiedError> {
    this.metrics.signIns.inc({ result: 'email_not_verified' });
    await this.recordFailure(attempt, user, 'email_not_verified', {});
    await this.hooks.unverifiedSignIn(user);
    return new EmailNotVerifiedError();
  }

  /** The client's allowance for the account is locked: reported, then the 429 goes on. */
  private async refusedByLock(
    error: unknown,
    attempt: PasswordAttempt,
    user: User | null,
    knownDevice: boolean,
  ): Promise<never> {
    if (error instanceof TooManyAttemptsException) {
      if (attempt.purpose === 'sign-in') this.metrics.signIns.inc({ result: 'locked' });
      await this.recordFailure(attempt, user, 'locked', {
        knownDevice,
        limit: knownDevice ? 'login_device' : 'login_account',
        retryAfterSeconds: error.retryAfterSeconds,
      });
    }
    throw error;
  }

  /**
   * The reason is the operator's only: the client gets one answer for all.
   * The login name as typed is kept (its length capped) so that guessing at
   * names shows; the log escapes whatever control characters it holds.
   */
  private recordFailure(
    attempt: PasswordAttempt,
    user: User | null,
    reason: string,
    details: Record<string, string | number | boolean>,
  ): Promise<void> {
    const login = 'login' in attempt.account ? attempt.account.login.slice(0, 128) : undefined;
    return this.events.record({
      action:
        attempt.purpose === 'sign-in' ? 'auth.sign_in.failed' : 'auth.reauthentication.failed',
      outcome: 'failure',
      subject: user ? { type: 'user', id: user.id } : undefined,
      reason,
      details: login === undefined ? details : { ...details, login },
    });
  }
}

/** The attempt counters' name of an account that exists. */
const userAccount = (userId: string) => `user:${userId}`;

/** One account whatever the case or Unicode form it is typed in. */
function accountName(account: PasswordAccount): string {
  return 'userId' in account
    ? account.userId
    : account.login.trim().normalize('NFKC').toLowerCase();
}
