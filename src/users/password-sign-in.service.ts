import { Injectable, Logger } from '@nestjs/common';
import { SecurityEventsService } from '../audit/security-events.service.js';
import { BearerChallengeException } from '../common/errors.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { AttemptReservation, LoginAttemptsService } from '../rate-limit/login-attempts.service.js';
import { DeviceTokensService } from '../tokens/device-tokens.service.js';
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

/**
 * The one check of a password, wherever one is entered: REST login, the
 * OAuth2 password grant, the current password of a password change.
 */
@Injectable()
export class PasswordSignInService {
  private readonly events = new Logger('AuthEvents');

  constructor(
    private readonly users: UsersRepository,
    private readonly hasher: PasswordHasher,
    private readonly attempts: LoginAttemptsService,
    private readonly deviceTokens: DeviceTokensService,
    private readonly metrics: MetricsService,
    private readonly securityEvents: SecurityEventsService,
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
    const account = user ? `user:${user.id}` : `name:${accountName(attempt.account)}`;
    const reservation = await this.attempts.reserve(account, deviceId);
    const result = await this.hasher.verify(user?.passwordHash, attempt.password);
    if (!user || !result.valid || user.disabled) {
      const reason = !user ? 'unknown_user' : !result.valid ? 'wrong_password' : 'disabled';
      throw await this.failure(attempt, user, reservation, deviceId !== null, reason);
    }
    await this.attempts.release(reservation);
    if (attempt.purpose === 'sign-in') {
      const upgraded = result.needsRehash ? await this.hasher.hash(attempt.password) : undefined;
      await this.users.recordLogin(user.id, upgraded);
      await this.securityEvents.record({
        action: 'auth.sign_in.succeeded',
        outcome: 'success',
        actor: { type: 'user', id: user.id },
        subject: { type: 'user', id: user.id },
      });
    }
    delete user.passwordHash;
    return { user, deviceToken: this.deviceTokens.issue(user.id) };
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
    reservation: AttemptReservation,
    knownDevice: boolean,
    reason: string,
  ): Promise<InvalidCredentialsError> {
    const signIn = attempt.purpose === 'sign-in';
    this.metrics.authEvents.inc({ event: signIn ? 'login_failed' : 'password_check_failed' });
    this.events.log({
      event: signIn ? 'login.failed' : 'password_check.failed',
      userId: user?.id,
      knownDevice,
      lockStarts: reservation.lockedUntil > 0,
    });
    if (signIn) {
      await this.securityEvents.record({
        action: 'auth.sign_in.failed',
        outcome: 'failure',
        subject: user ? { type: 'user', id: user.id } : undefined,
        reason,
      });
    }
    return new InvalidCredentialsError(reservation.allowanceSpent);
  }
}

/** One account whatever the case or Unicode form it is typed in. */
function accountName(account: PasswordAccount): string {
  return 'userId' in account
    ? account.userId
    : account.login.trim().normalize('NFKC').toLowerCase();
}
