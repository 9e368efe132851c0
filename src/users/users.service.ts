import { ConflictException, Injectable, Logger, NotFoundException } from '@nestjs/common';
import { ValidationFailedException } from '../common/filters/problem-details.filter.js';
import { Role } from '../common/role.enum.js';
import { ChangePasswordDto } from './dto/change-password.dto.js';
import { RegisterUserDto } from './dto/register-user.dto.js';
import { UpdateProfileDto } from './dto/update-profile.dto.js';
import { User } from './entities/user.entity.js';
import { PasswordHasher } from './password-hasher.service.js';
import { passwordProblems } from './password-policy.js';
import { UsersRepository } from './users.repository.js';

const UNIQUE_VIOLATION = '23505';

@Injectable()
export class UsersService {
  private readonly logger = new Logger('AuthEvents');

  constructor(
    private readonly users: UsersRepository,
    private readonly hasher: PasswordHasher,
  ) {}

  async register(dto: RegisterUserDto, roles: Role[] = [Role.User]): Promise<User> {
    this.assertPasswordAllowed('password', dto.password, dto);
    const taken = await this.users.findTaken(dto.email, dto.username);
    if (taken.email || taken.username) throw this.conflict(taken);
    const passwordHash = await this.hasher.hash(dto.password);
    try {
      const user = await this.users.insert({
        email: dto.email,
        username: dto.username,
        passwordHash,
        roles,
      });
      this.logger.log({ event: 'user.registered', userId: user.id });
      return (await this.users.findById(user.id))!;
    } catch (error) {
      // Lost a race with a concurrent registration of the same name.
      if ((error as { code?: string }).code === UNIQUE_VIOLATION) {
        throw this.conflict(await this.users.findTaken(dto.email, dto.username));
      }
      throw error;
    }
  }

  /**
   * A login is checked in two steps so the caller can apply the per-account
   * lock in between: `findLoginCandidate`, then `checkPassword`. Together they
   * cost the same for an unknown user (dummy hash) and answer `null` for every
   * failure alike. This step: the account a login name (username or email,
   * any case) refers to, with its hash; `null` if none.
   */
  async findLoginCandidate(login: string): Promise<User | null> {
    const normalized = login.trim().normalize('NFKC').toLowerCase();
    // PostgreSQL text cannot hold U+0000: such a name matches no one, and must not reach the driver.
    return normalized.includes('\u0000') ? null : this.users.findByLoginWithPassword(normalized);
  }

  /** The second step: verifies the password (against a dummy hash when there is no account). */
  async checkPassword(user: User | null, password: string): Promise<User | null> {
    const result = await this.hasher.verify(user?.passwordHash, password);
    if (!user || !result.valid || user.disabled) return null;
    const upgraded = result.needsRehash ? await this.hasher.hash(password) : undefined;
    await this.users.recordLogin(user.id, upgraded);
    delete user.passwordHash;
    return user;
  }

  async getById(id: string): Promise<User> {
    const user = await this.users.findById(id);
    if (!user) throw new NotFoundException('User not found');
    return user;
  }

  findActiveById(id: string): Promise<User | null> {
    return this.users.findById(id).then((user) => (user && !user.disabled ? user : null));
  }

  async updateProfile(id: string, dto: UpdateProfileDto): Promise<User> {
    if (dto.displayName !== undefined)
      await this.users.update(id, { displayName: dto.displayName });
    return this.getById(id);
  }

  /** Verifies the current password and stores the new one; returns the user for follow-up revocation. */
  async changePassword(id: string, dto: ChangePasswordDto): Promise<User> {
    const user = await this.getById(id);
    const { valid } = await this.hasher.verify(
      await this.users.findPasswordHash(id),
      dto.currentPassword,
    );
    if (!valid) {
      throw new ValidationFailedException([
        { field: 'currentPassword', messages: ['current password is incorrect'] },
      ]);
    }
    this.assertPasswordAllowed('newPassword', dto.newPassword, user);
    if (dto.newPassword === dto.currentPassword) {
      throw new ValidationFailedException([
        { field: 'newPassword', messages: ['new password must differ from the current one'] },
      ]);
    }
    await this.users.updatePasswordHash(id, await this.hasher.hash(dto.newPassword));
    this.logger.log({ event: 'user.password_changed', userId: id });
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
