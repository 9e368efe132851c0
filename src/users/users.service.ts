import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { SecurityEventsService } from '../audit/security-events.service.js';
import { ValidationFailedException } from '../common/errors.js';
import { Role } from '../common/role.enum.js';
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
      await this.events.record({
        action: 'user.registered',
        outcome: 'success',
        subject: { type: 'user', id: user.id },
        details: { roles },
      });
      return (await this.users.findById(user.id))!;
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

  async updateProfile(id: string, dto: UpdateProfileDto): Promise<User> {
    if (dto.displayName !== undefined)
      await this.users.update(id, { displayName: dto.displayName });
    return this.getById(id);
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
