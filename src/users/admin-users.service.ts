import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { SecurityEventsService } from '../audit/security-events.service.js';
import type { EntityManager } from 'typeorm';
import { Clock } from '../common/clock.js';
import { Role } from '../common/role.enum.js';
import { TokenRevocationService } from '../tokens/token-revocation.service.js';
import { RefreshSessionsService } from '../tokens/refresh-sessions.service.js';
import type { RefreshSession } from '../tokens/entities/refresh-session.entity.js';
import { AdminUpdateUserDto } from './dto/admin-update-user.dto.js';
import { ListUsersQueryDto } from './dto/list-users-query.dto.js';
import { User } from './entities/user.entity.js';
import { UsersRepository } from './users.repository.js';

const UNIQUE_VIOLATION = '23505';

/** A user id; never a username (at most 32 characters) or an email (it has no `@`). */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

@Injectable()
export class AdminUsersService {
  constructor(
    private readonly users: UsersRepository,
    private readonly revocation: TokenRevocationService,
    private readonly sessions: RefreshSessionsService,
    private readonly events: SecurityEventsService,
    private readonly clock: Clock,
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
  async update(id: string, dto: AdminUpdateUserDto): Promise<User> {
    const roles = dto.roles ? normaliseRoles(dto.roles) : undefined;
    const changed: Partial<User> = await this.users.transaction(async (manager) => {
      const user = await this.users.findById(id, manager);
      if (!user) throw new NotFoundException('User not found');
      const losesAdmin =
        isActiveAdmin(user) && ((roles && !roles.includes(Role.Admin)) || dto.disabled === true);
      if (losesAdmin) await this.assertAnotherAdmin(manager, id);
      const changes: Partial<User> = {};
      if (roles && !sameRoles(roles, user.roles)) changes.roles = roles;
      if (dto.disabled !== undefined && dto.disabled !== user.disabled)
        changes.disabled = dto.disabled;
      const email = this.emailChanges(user, dto);
      if (Object.keys(changes).length > 0) {
        await this.users.update(id, changes, manager);
        await this.recordUpdate(id, user, changes, manager);
      }
      if (Object.keys(email).length > 0) await this.setEmail(user, email, manager);
      return changes;
    });
    if (changed.roles || changed.disabled !== undefined) {
      await this.revocation.revokeUser(
        id,
        changed.disabled ? 'disabled' : 'admin',
        !!changed.disabled,
      );
    }
    return this.get(id);
  }

  /** The address and its verification as the admin asked; a new address is unverified unless said. */
  private emailChanges(user: User, dto: AdminUpdateUserDto): Partial<User> {
    const changes: Partial<User> = {};
    const newAddress = dto.email !== undefined && dto.email !== user.email;
    if (newAddress) changes.email = dto.email;
    const verified = dto.emailVerified ?? (newAddress ? false : user.emailVerifiedAt !== null);
    if (verified && (newAddress || user.emailVerifiedAt === null)) {
      changes.emailVerifiedAt = new Date(this.clock.now());
    } else if (!verified && user.emailVerifiedAt !== null) {
      changes.emailVerifiedAt = null;
    }
    return changes;
  }

  private async setEmail(user: User, changes: Partial<User>, manager: EntityManager) {
    try {
      await this.users.update(user.id, changes, manager);
    } catch (error) {
      if ((error as { code?: string }).code === UNIQUE_VIOLATION) {
        throw new ConflictException('Email is already registered to another account');
      }
      throw error;
    }
    const subject = { type: 'user' as const, id: user.id };
    if (changes.email !== undefined) {
      const details = { verified: changes.emailVerifiedAt != null };
      await this.events.record(
        { action: 'admin.user.email_changed', outcome: 'success', subject, details },
        manager,
      );
    } else {
      const details = { verified: changes.emailVerifiedAt !== null };
      await this.events.record(
        { action: 'admin.user.email_verification_set', outcome: 'success', subject, details },
        manager,
      );
    }
  }

  async delete(id: string): Promise<void> {
    await this.users.transaction(async (manager) => {
      const user = await this.users.findById(id, manager);
      if (!user) throw new NotFoundException('User not found');
      if (isActiveAdmin(user)) await this.assertAnotherAdmin(manager, id);
      await this.users.delete(id, manager);
      await this.events.record(
        { action: 'admin.user.deleted', outcome: 'success', subject: { type: 'user', id } },
        manager,
      );
    });
    // Sessions went with the row (ON DELETE CASCADE); the cutoff voids access tokens already out.
    await this.revocation.revokeUser(id, 'admin', false);
  }

  async listSessions(id: string): Promise<RefreshSession[]> {
    await this.get(id);
    return this.sessions.listLive(id);
  }

  async revokeSessions(id: string): Promise<void> {
    await this.get(id);
    await this.revocation.revokeUser(id, 'admin', true);
    await this.events.record({
      action: 'admin.user.sessions_revoked',
      outcome: 'success',
      subject: { type: 'user', id },
    });
  }

  /** What changed, with the roles before, in the transaction of the change. */
  private recordUpdate(id: string, before: User, changes: Partial<User>, manager: EntityManager) {
    return this.events.record(
      {
        action: 'admin.user.updated',
        outcome: 'success',
        subject: { type: 'user', id },
        details: {
          previousRoles: before.roles,
          ...(changes.roles ? { roles: changes.roles } : {}),
          ...(changes.disabled !== undefined ? { disabled: changes.disabled } : {}),
        },
      },
      manager,
    );
  }

  private async assertAnotherAdmin(manager: EntityManager, id: string) {
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
