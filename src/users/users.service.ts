import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { SecurityEventsService } from '../audit/security-events.service.js';
import { Clock } from '../common/clock.js';
import { ValidationFailedException } from '../common/errors.js';
import { Role } from '../common/role.enum.js';
import { AccountEmailHooks } from './account-email-hooks.js';
import { RegisterUserDto } from './dto/register-user.dto.js';
import { UpdateProfileDto } from './dto/update-profile.dto.js';
import { User } from './entities/user.entity.js';
import { PasswordHasher } from './password-hasher.service.js';
import { passwordProblems } from '../common/validation/password-policy.js';
import { UsersRepository } from './users.repository.js';

const UNIQUE_VIOLATION = '23505';

@Injectable()
export class UsersService {
  constructor(
    private readonly users: UsersRepository,
    private readonly hasher: PasswordHasher,
    private readonly events: SecurityEventsService,
    private readonly hooks: AccountEmailHooks,
    private readonly clock: Clock,
  ) {}

  async register(dto: RegisterUserDto, roles: Role[] = [Role.User]): Promise<User> {
    this.assertPasswordAllowed('password', dto.password, dto);
    const taken = await this.users.findTaken(dto.email, dto.username);
    if (taken.email || taken.username) throw this.conflict(taken);
    const passwordHash = await this.hasher.hash(dto.password);
    try {
      const created = await this.users.transaction(async (manager) => {
        const user = await this.users.insert(
          { email: dto.email, username: dto.username, passwordHash, roles },
          manager,
        );
        await this.events.record(
          {
            action: 'user.registered',
            outcome: 'success',
            subject: { type: 'user', id: user.id },
            details: { roles },
          },
          manager,
        );
        await this.hooks.userCreated(user, manager);
        return user;
      });
      return (await this.users.findById(created.id))!;
    } catch (error) {
      // Lost a race with a concurrent registration of the same name.
      if ((error as { code?: string }).code === UNIQUE_VIOLATION) {
        throw this.conflict(await this.users.findTaken(dto.email, dto.username));
      }
      throw error;
    }
  }

  async getById(id: string): Promise<User> {
    const user = await this.users.findProfile(id);
    if (!user) throw new NotFoundException('User not found');
    return user;
  }

  findActiveById(id: string): Promise<User | null> {
    return this.users.findProfile(id).then((user) => (user && !user.disabled ? user : null));
  }

  /** The active account with this address (normalised by the caller), or `null`. */
  findActiveByEmail(email: string): Promise<User | null> {
    return this.users.findByEmail(email).then((user) => (user && !user.disabled ? user : null));
  }

  async updateProfile(id: string, dto: UpdateProfileDto): Promise<User> {
    if (dto.displayName !== undefined)
      await this.users.update(id, { displayName: dto.displayName });
    return this.getById(id);
  }

  /** Whether an account has this address (lower-cased by the caller). */
  async emailTaken(email: string): Promise<boolean> {
    return (await this.users.findByEmail(email)) !== null;
  }

  /**
   * Marks `email` verified for the user, if it is still their address: a
   * link mailed to an address they have since left proves nothing.
   */
  async markEmailVerified(id: string, email: string, manager: EntityManager): Promise<boolean> {
    return this.users.markEmailVerified(id, email, new Date(this.clock.now()), manager);
  }

  /** The user's address becomes `email`, verified when `verifiedAt` is given; 409 if it is taken (the caller's transaction is then void). */
  async setEmail(
    id: string,
    email: string,
    verifiedAt: Date | null,
    manager: EntityManager,
  ): Promise<void> {
    try {
      await this.users.update(id, { email, emailVerifiedAt: verifiedAt }, manager);
    } catch (error) {
      if ((error as { code?: string }).code === UNIQUE_VIOLATION) {
        throw new ConflictException('Email is already registered to another account');
      }
      throw error;
    }
  }

  /** Stores a new password for a user whose current one was just verified. */
  async setPassword(user: User, currentPassword: string, newPassword: string): Promise<void> {
    this.assertPasswordAllowed('newPassword', newPassword, user);
    if (newPassword === currentPassword) {
      throw new ValidationFailedException([
        { field: 'newPassword', messages: ['new password must differ from the current one'] },
      ]);
    }
    await this.users.updatePasswordHash(user.id, await this.hasher.hash(newPassword));
  }

  /**
   * Sets the password of an active account from a reset link, in the
   * caller's transaction (`manager`), under the registration policy.
   * Returns `null` for an account that is gone or disabled.
   */
  async resetPassword(
    userId: string,
    newPassword: string,
    at: Date,
    manager: EntityManager,
  ): Promise<User | null> {
    const user = await this.users.findById(userId, manager);
    if (!user || user.disabled) return null;
    this.assertPasswordAllowed('password', newPassword, user);
    await this.users.resetPassword(user.id, await this.hasher.hash(newPassword), at, manager);
    return user;
  }

  private assertPasswordAllowed(
    field: string,
    password: string,
    context: { username?: string; email?: string },
  ) {
    const problems = passwordProblems(password, context);
    if (problems.length > 0) throw new ValidationFailedException([{ field, messages: problems }]);
  }

  private conflict(taken: { email: boolean; username: boolean }): ConflictException {
    const what =
      taken.email && taken.username
        ? 'Email and username are'
        : taken.email
          ? 'Email is'
          : 'Username is';
    return new ConflictException(`${what} already registered`);
  }
}
