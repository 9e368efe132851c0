import { ConflictException, Injectable, Logger, NotFoundException } from '@nestjs/common';
import { Role } from '../common/role.enum.js';
import { TokenRevocationService } from '../tokens/token-revocation.service.js';
import { RefreshSessionsService } from '../tokens/refresh-sessions.service.js';
import type { RefreshSession } from '../tokens/entities/refresh-session.entity.js';
import { AdminUpdateUserDto } from './dto/admin-update-user.dto.js';
import { ListUsersQueryDto } from './dto/list-users-query.dto.js';
import { User } from './entities/user.entity.js';
import { UsersRepository } from './users.repository.js';

/** A user id; never a username (at most 32 characters) or an email (it has no `@`). */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

@Injectable()
export class AdminUsersService {
  private readonly logger = new Logger('AuthEvents');

  constructor(
    private readonly users: UsersRepository,
    private readonly revocation: TokenRevocationService,
    private readonly sessions: RefreshSessionsService,
  ) {}

  list(query: ListUsersQueryDto): Promise<[User[], number]> {
    return this.users.search(query);
  }

  async get(id: string): Promise<User> {
    const user = await this.users.findById(id);
    if (!user) throw new NotFoundException('User not found');
    return user;
  }

  /** The user an operator names by id, username or email (the CLI's way of naming one). */
  async find(reference: string): Promise<User> {
    const user = UUID.test(reference)
      ? await this.users.findById(reference.toLowerCase())
      : await this.users.findByLogin(reference.trim().normalize('NFKC').toLowerCase());
    if (!user) throw new NotFoundException('User not found');
    return user;
  }

  /**
   * Changes roles and the disabled flag. The change voids the user's current
   * access tokens at once; disabling also ends their sessions.
   */
  async update(id: string, dto: AdminUpdateUserDto, actorId: string): Promise<User> {
    const roles = dto.roles ? normaliseRoles(dto.roles) : undefined;
    const { before, changed } = await this.users.transaction(async (manager) => {
      const user = await this.users.findById(id, manager);
      if (!user) throw new NotFoundException('User not found');
      const losesAdmin =
        isActiveAdmin(user) && ((roles && !roles.includes(Role.Admin)) || dto.disabled === true);
      if (losesAdmin) await this.assertAnotherAdmin(manager, id);
      const changes: Partial<User> = {};
      if (roles && !sameRoles(roles, user.roles)) changes.roles = roles;
      if (dto.disabled !== undefined && dto.disabled !== user.disabled)
        changes.disabled = dto.disabled;
      if (Object.keys(changes).length > 0) await this.users.update(id, changes, manager);
      return { before: user, changed: changes };
    });
    if (changed.roles || changed.disabled !== undefined) {
      await this.revocation.revokeUser(
        id,
        changed.disabled ? 'disabled' : 'admin',
        !!changed.disabled,
      );
      this.logger.log({
        event: 'admin.user_updated',
        actorId,
        userId: id,
        roles: changed.roles,
        disabled: changed.disabled,
        previousRoles: before.roles,
      });
    }
    return this.get(id);
  }

  async delete(id: string, actorId: string): Promise<void> {
    await this.users.transaction(async (manager) => {
      const user = await this.users.findById(id, manager);
      if (!user) throw new NotFoundException('User not found');
      if (isActiveAdmin(user)) await this.assertAnotherAdmin(manager, id);
      await this.users.delete(id, manager);
    });
    // Sessions went with the row (ON DELETE CASCADE); the cutoff voids access tokens already out.
    await this.revocation.revokeUser(id, 'admin', false);
    this.logger.log({ event: 'admin.user_deleted', actorId, userId: id });
  }

  async listSessions(id: string): Promise<RefreshSession[]> {
    await this.get(id);
    return this.sessions.listLive(id);
  }

  async revokeSessions(id: string): Promise<void> {
    await this.get(id);
    await this.revocation.revokeUser(id, 'admin', true);
  }

  private async assertAnotherAdmin(
    manager: Parameters<Parameters<UsersRepository['transaction']>[0]>[0],
    id: string,
  ) {
    const admins = await this.users.lockActiveAdminIds(manager);
    if (!admins.some((adminId) => adminId !== id)) {
      throw new ConflictException('The last active admin cannot be demoted, disabled or deleted');
    }
  }
}

/** Every account keeps the base role; order is fixed so that equal sets compare equal. */
function normaliseRoles(roles: Role[]): Role[] {
  const set = new Set<Role>([Role.User, ...roles]);
  return [...set].sort();
}

function sameRoles(a: Role[], b: Role[]): boolean {
  return a.length === b.length && [...a].sort().every((role, i) => role === [...b].sort()[i]);
}

function isActiveAdmin(user: User): boolean {
  return !user.disabled && user.roles.includes(Role.Admin);
}
