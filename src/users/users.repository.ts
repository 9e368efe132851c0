import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import { Role } from '../common/role.enum.js';
import { User } from './entities/user.entity.js';

export interface UserSearch {
  page: number;
  limit: number;
  search?: string;
  role?: Role;
}

@Injectable()
export class UsersRepository {
  constructor(@InjectRepository(User) private readonly users: Repository<User>) {}

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.users.manager.transaction(work);
  }

  findById(id: string, manager = this.users.manager): Promise<User | null> {
    return manager.findOne(User, { where: { id } });
  }

  /**
   * The hot read (`GET /users/me`, the user behind a session): one query by
   * primary key for every column the entity selects by default, mapped by
   * hand from the entity's metadata, without TypeORM's query building and
   * hydration. `password_hash` is not selectable, so it is never read here.
   */
  findProfile(id: string): Promise<User | null> {
    return this.findOneBy('id', id, false);
  }

  /**
   * The only query that loads a password hash: the user named by a login
   * (a username, or an email if it has an `@`; normalised by the caller) or
   * by id. The same lean read as `findProfile`, with `password_hash`.
   */
  findWithPassword(by: { login: string } | { id: string }): Promise<User | null> {
    if ('id' in by) return this.findOneBy('id', by.id, true);
    return this.findOneBy(by.login.includes('@') ? 'email' : 'username', by.login, true);
  }

  private async findOneBy(
    column: 'id' | 'email' | 'username',
    value: string,
    withPassword: boolean,
  ): Promise<User | null> {
    const { list, columns } = (this.selection ??= this.buildSelection());
    const rows: Record<string, unknown>[] = await this.users.manager.query(
      `SELECT ${list}${withPassword ? ', password_hash' : ''} FROM users WHERE ${column} = $1`,
      [value],
    );
    if (rows.length === 0) return null;
    const user = {} as Record<string, unknown>;
    for (const [name, property] of columns) user[property] = rows[0][name];
    if (withPassword) user.passwordHash = rows[0].password_hash;
    return user as unknown as User;
  }

  private selection?: { list: string; columns: [column: string, property: string][] };

  private buildSelection(): { list: string; columns: [string, string][] } {
    const columns = this.users.metadata.columns
      .filter((column) => column.isSelect)
      .map((column) => [column.databaseName, column.propertyName] as [string, string]);
    return { list: columns.map(([column]) => `"${column}"`).join(', '), columns };
  }

  findByEmail(email: string): Promise<User | null> {
    return this.users.findOne({ where: { email } });
  }

  /** The user named by a login: a username, or an email if it has an `@` (normalised by the caller). */
  findByLogin(login: string): Promise<User | null> {
    return this.users.findOne({
      where: login.includes('@') ? { email: login } : { username: login },
    });
  }

  /** Which of the two identifiers is already taken. */
  async findTaken(email: string, username: string): Promise<{ email: boolean; username: boolean }> {
    const rows = await this.users.find({
      select: { email: true, username: true },
      where: [{ email }, { username }],
    });
    return {
      email: rows.some((row) => row.email === email),
      username: rows.some((row) => row.username === username),
    };
  }

  insert(user: Partial<User>, manager = this.users.manager): Promise<User> {
    return manager.save(manager.create(User, user));
  }

  async updatePasswordHash(id: string, passwordHash: string): Promise<void> {
    await this.users.update({ id }, { passwordHash });
  }

  /**
   * A password chosen through a reset link, in the reset's transaction. The
   * link reached the user's mailbox, so it proves the address too: an
   * unverified one is marked verified now.
   */
  async resetPassword(
    id: string,
    passwordHash: string,
    at: Date,
    manager: EntityManager,
  ): Promise<void> {
    await manager
      .createQueryBuilder()
      .update(User)
      .set({ passwordHash, emailVerifiedAt: () => 'COALESCE(email_verified_at, :at)' })
      .setParameter('at', at)
      .where('id = :id', { id })
      .execute();
  }

  /** Sets `email_verified_at` if `email` is still the user's address; whether it was. */
  async markEmailVerified(
    id: string,
    email: string,
    at: Date,
    manager: EntityManager,
  ): Promise<boolean> {
    const result = await manager.update(User, { id, email }, { emailVerifiedAt: at });
    return (result.affected ?? 0) > 0;
  }

  /** One raw UPDATE (a sign-in's hot path); `updated_at` moves as TypeORM's update moves it. */
  async recordLogin(id: string, passwordHash?: string): Promise<void> {
    await this.users.manager.query(
      passwordHash
        ? 'UPDATE users SET last_login_at = now(), updated_at = now(), password_hash = $2 WHERE id = $1'
        : 'UPDATE users SET last_login_at = now(), updated_at = now() WHERE id = $1',
      passwordHash ? [id, passwordHash] : [id],
    );
  }

  async update(id: string, changes: Partial<User>, manager = this.users.manager): Promise<void> {
    await manager.update(User, { id }, changes);
  }

  async delete(id: string, manager = this.users.manager): Promise<void> {
    await manager.delete(User, { id });
  }

  async search(query: UserSearch): Promise<[User[], number]> {
    const builder = this.users
      .createQueryBuilder('user')
      .orderBy('user.created_at', 'DESC')
      .addOrderBy('user.id', 'ASC')
      .skip((query.page - 1) * query.limit)
      .take(query.limit);
    if (query.search) {
      const pattern = `%${query.search.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      builder.andWhere('(user.email LIKE :pattern OR user.username LIKE :pattern)', { pattern });
    }
    if (query.role) builder.andWhere(':role = ANY(user.roles)', { role: query.role });
    return builder.getManyAndCount();
  }

  /**
   * Locks every active admin row and returns their ids, so that two
   * concurrent demotions cannot both see "another admin remains".
   */
  async lockActiveAdminIds(manager: EntityManager): Promise<string[]> {
    const rows: { id: string }[] = await manager.query(
      `SELECT id FROM users WHERE $1 = ANY(roles) AND disabled = false ORDER BY id FOR UPDATE`,
      [Role.Admin],
    );
    return rows.map((row) => row.id);
  }
}
